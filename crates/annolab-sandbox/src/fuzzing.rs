//! The checks the fuzz target `sandbox_requests` (`tests/fuzz`) runs on arbitrary bytes, kept
//! here so that the stable replay test (`tests/fuzz_corpus.rs`) runs the same code over the
//! committed corpus.
//!
//! Not an API: [`requests`] panics when the sandbox breaks a promise on a client's request,
//! which is what a fuzz target and a test report. A bad request itself must never panic: it is a
//! [`BadRequest`] naming what was wrong.

use serde_json::json;

use crate::request::{BadRequest, ExportRequest, ProjectExportRequest, SearchRequest};
use crate::storage::{RangeRequest, parse_range};

/// `bytes` as the body of each request the sandbox parses (an export, a search, a project
/// export), and, after an 8-byte object size, as a download's `Range` header. Checks that a
/// body is refused with a message or parsed into a request that holds what the API requires,
/// that a parsed export request reads back the same from its canonical JSON, that a search is an
/// export plus a page, and that a range served is inside the object.
pub fn requests(bytes: &[u8]) {
    let export = ExportRequest::parse(bytes);
    match &export {
        Ok(request) => {
            assert!(!request.owner.trim().is_empty() && !request.project.trim().is_empty(), "{request:?} has a blank owner or project");
            let canonical = json!({
                "projectOwner": request.owner,
                "projectName": request.project,
                "tagFilter": {"canonicalTagTypes": request.filter.include_types, "excludeTypes": request.filter.exclude_types},
                "sourceFilter": request.filter.source_name,
                "includeFiles": request.include_files,
            });
            let again = ExportRequest::parse(canonical.to_string().as_bytes()).unwrap_or_else(|e| panic!("{request:?} as JSON is refused: {e}"));
            assert_eq!(&again, request, "the request read back from its canonical JSON");
        }
        Err(e) => assert_message(e),
    }
    match (SearchRequest::parse(bytes), &export) {
        (Ok(search), Ok(export)) => {
            assert_eq!(&search.export, export, "a search's export filters");
            assert!(search.page >= 1, "page {}", search.page);
        }
        (Ok(search), Err(e)) => panic!("a search {search:?} of a refused export ({e})"),
        (Err(e), Ok(_)) => assert!(e.0.starts_with("page must be"), "a valid export refused as a search: {e}"),
        (Err(e), Err(_)) => assert_message(&e),
    }
    match ProjectExportRequest::parse(bytes) {
        Ok(request) => assert!(!request.group.trim().is_empty() && !request.project.trim().is_empty(), "{request:?} has a blank group or project"),
        Err(e) => assert_message(&e),
    }

    if let Some((size, header)) = bytes.split_first_chunk::<8>() {
        let size = u64::from_le_bytes(*size);
        if let RangeRequest::Satisfiable(start, end) = parse_range(header, size) {
            assert!(start <= end && end < size, "Range {:?} of {size} bytes served as {start}-{end}", String::from_utf8_lossy(header));
        }
    }
}

fn assert_message(error: &BadRequest) {
    assert!(!error.0.trim().is_empty(), "a request refused without a message");
}
