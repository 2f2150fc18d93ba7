//! The checks the fuzz target `api_responses` (`tests/fuzz`) runs on arbitrary bytes, kept here
//! so that the stable replay test (`tests/fuzz_corpus.rs`) runs the same code over the committed
//! corpus.
//!
//! Not an API: [`responses`] panics when the client breaks a promise on a server's answer, which
//! is what a fuzz target and a test report. A bad answer itself must never panic: it is an
//! [`ApiError`].

use reqwest::StatusCode;

use crate::client::{decode, error_for};
use crate::error::{ApiError, ApiErrorCode};
use crate::json::{ExportStarted, ExportStatus, JobState, KeyInfo, ProjectSummary};

/// The first two bytes are an HTTP status (taken into 100-599), the rest an answer's body.
/// Decodes the body as every answer the client reads (a status poll, an export's start, the
/// key's info, a project) and as an error answer with that status, checking that each is a
/// value or a typed error, that job states are read as documented, and that an error carries
/// the server's own `message` or at most 200 characters of the body, never all of it.
pub fn responses(bytes: &[u8]) {
    let Some((status, body)) = bytes.split_first_chunk::<2>() else { return };
    let status = StatusCode::from_u16(100 + u16::from_be_bytes(*status) % 500).expect("100-599 is a status");

    match decode::<ExportStatus>(body) {
        Ok(answer) => {
            if let JobState::Running(word) = &answer.status {
                assert!(word != "finished" && word != "errored", "{word:?} read as still running");
            }
        }
        Err(e) => assert_unexpected(&e),
    }
    if let Err(e) = decode::<ExportStarted>(body) {
        assert_unexpected(&e);
    }
    if let Err(e) = decode::<KeyInfo>(body) {
        assert_unexpected(&e);
    }
    if let Err(e) = decode::<ProjectSummary>(body) {
        assert_unexpected(&e);
    }

    let error = error_for(status, body, 3, None);
    let _ = (error.to_string(), error.kind());
    let expected = match status.as_u16() {
        400 | 413 | 422 => ApiErrorCode::BadRequest,
        401 => ApiErrorCode::Unauthorized,
        403 => ApiErrorCode::Forbidden,
        404 => ApiErrorCode::NotFound,
        429 => ApiErrorCode::RateLimited,
        _ => ApiErrorCode::ServerError,
    };
    assert_eq!(error.code(), expected, "the code of a {status} answer");
    let message = match &error {
        ApiError::BadRequest { message } | ApiError::Unauthorized { message } | ApiError::Forbidden { message } | ApiError::NotFound { message } => message,
        ApiError::Server { status: code, message } => {
            assert_eq!(*code, status.as_u16(), "the status reported");
            message
        }
        ApiError::RateLimited { attempts, .. } => {
            assert_eq!(*attempts, 3, "the attempts reported");
            return;
        }
        other => panic!("a {status} answer read as {other:?}"),
    };
    let own: Option<String> = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map.get("message").and_then(serde_json::Value::as_str).map(str::to_owned),
        _ => None,
    };
    match own {
        Some(own) => assert_eq!(message, &own, "the server's own message"),
        None => {
            assert!(!message.is_empty(), "an empty message for a {status} answer");
            assert!(message.chars().count() <= 200, "{} characters of the body in the message", message.chars().count());
        }
    }
}

fn assert_unexpected(error: &ApiError) {
    assert!(matches!(error, ApiError::UnexpectedResponse { .. }), "a body that does not decode read as {error:?}");
    let _ = error.to_string();
}
