//! The download host: serves finished archives at signed URLs, on its own port (its own origin),
//! the way cloud storage does, so clients meet the same rules they meet in production.
//!
//! - URLs carry an expiry and an HMAC-SHA256 signature; a bad or expired one gets 403.
//! - A request carrying `Authorization` gets 400, as cloud storage answers a second auth
//!   mechanism. This is how tests catch a client leaking the API key to the download host.
//! - `Range` gets 206 with `Content-Range`; the archive streams from disk.

use std::io::SeekFrom;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::faults::Faults;
use crate::jobs::{JobStatus, Jobs};

const BUCKET: &str = "annolab-exports";
const CHUNK: usize = 256 * 1024;

/// Signs and checks download URLs with a secret made at start-up.
#[derive(Clone)]
pub struct Signer {
    secret: [u8; 32],
}

impl Signer {
    pub fn new() -> Result<Self, getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        Ok(Signer { secret })
    }

    /// The signed URL of job `job_id`'s archive, valid for `ttl` from now.
    pub fn url(&self, base: &str, job_id: u64, ttl: Duration) -> String {
        let path = format!("/{BUCKET}/jobs/{job_id}/export-{job_id}.zip");
        let expires = unix_now() + ttl.as_secs();
        let signature = hex::encode(self.mac(&path, expires).finalize().into_bytes());
        format!("{base}{path}?X-Expires={expires}&X-Signature={signature}")
    }

    fn verify(&self, path: &str, expires: u64, signature: &str) -> bool {
        match hex::decode(signature) {
            Ok(bytes) => self.mac(path, expires).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    fn mac(&self, path: &str, expires: u64) -> Hmac<Sha256> {
        // Invariant: HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { secret: <hidden> }")
    }
}

#[derive(Clone)]
pub(crate) struct StorageState {
    pub jobs: Arc<Jobs>,
    pub signer: Signer,
    pub faults: Arc<Faults>,
    /// Cancelled when the sandbox stops: a stalled download then lets its connection go.
    pub stop: tokio_util::sync::CancellationToken,
}

pub(crate) fn router(state: StorageState) -> Router {
    Router::new()
        .route("/{bucket}/jobs/{job}/{file}", get(download).head(download))
        .fallback(|| async { storage_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.") })
        .with_state(state)
}

#[derive(Deserialize)]
struct SignedQuery {
    #[serde(rename = "X-Expires")]
    expires: Option<String>,
    #[serde(rename = "X-Signature")]
    signature: Option<String>,
}

async fn download(
    State(state): State<StorageState>,
    method: Method,
    Path((bucket, job, object)): Path<(String, String, String)>,
    query: Result<Query<SignedQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Signature query parameter or the Authorization header should be specified",
        );
    }
    let (Some(expires), Some(signature)) = query.map(|q| (q.0.expires, q.0.signature)).unwrap_or_default() else {
        return storage_error(StatusCode::FORBIDDEN, "AccessDenied", "Query-string authentication requires the X-Signature and X-Expires parameters");
    };
    let path = format!("/{bucket}/jobs/{job}/{object}");
    let expires = expires.parse::<u64>().unwrap_or(0);
    if !state.signer.verify(&path, expires, &signature) {
        return storage_error(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }
    if unix_now() > expires {
        return storage_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    if let Some(secs) = state.faults.take_busy_download() {
        let mut response = storage_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown", "Please reduce your request rate.");
        response.headers_mut().insert(header::RETRY_AFTER, header_value(&state.faults.retry_after_value(secs)));
        return response;
    }
    let archive = match job.parse().ok().and_then(|id| state.jobs.get(id)).map(|job| job.status(std::time::Instant::now())) {
        Some(JobStatus::Finished { archive, .. }) => archive,
        _ => return storage_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist."),
    };
    let mut file = match tokio::fs::File::open(&archive).await {
        Ok(file) => file,
        Err(_) => return storage_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist."),
    };
    let size = match file.metadata().await {
        Ok(meta) => meta.len(),
        Err(_) => return storage_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist."),
    };

    let range = match headers.get(header::RANGE).map(|v| parse_range(v.as_bytes(), size)) {
        None => None,
        Some(RangeRequest::Satisfiable(start, end)) => Some((start, end)),
        Some(RangeRequest::Ignored) => None,
        Some(RangeRequest::Unsatisfiable) => {
            let mut response = storage_error(StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange", "The requested range is not satisfiable");
            response.headers_mut().insert(header::CONTENT_RANGE, header_value(&format!("bytes */{size}")));
            return response;
        }
    };
    let (status, start, len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, size),
    };

    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_LENGTH, len)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{size:x}-{job}\""))
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{object}\""));
    if status == StatusCode::PARTIAL_CONTENT {
        response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{}/{size}", start + len - 1));
    }
    if method == Method::HEAD {
        return response.body(Body::empty()).unwrap_or_else(|_| internal());
    }
    if start > 0 && file.seek(SeekFrom::Start(start)).await.is_err() {
        return storage_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown", "Please reduce your request rate.");
    }
    // A cut download stops halfway through what was asked for, like a dropped connection; a
    // short one where the file is made to end early, on every request.
    let mut cut_at = state.faults.take_cut_download().then_some(len / 2);
    if let Some(short) = state.faults.short_by() {
        let end = size.saturating_sub(short).saturating_sub(start).min(len);
        cut_at = Some(cut_at.map_or(end, |at| at.min(end)));
    }
    let stall = state.faults.take_stalled_download().then(|| Stall { at: len / 2, until: state.stop.clone() });
    let body = Body::from_stream(archive_stream(file, len, cut_at, stall, state.faults.bandwidth()));
    response.body(body).unwrap_or_else(|_| internal())
}

/// Where a stalled download stops sending, and what ends the stall.
struct Stall {
    at: u64,
    until: tokio_util::sync::CancellationToken,
}

/// Streams `len` bytes of `file` in large chunks, optionally failing at `cut_at`, going silent
/// at `stall.at` with the connection open, and pacing to `rate` bytes per second.
fn archive_stream(
    file: tokio::fs::File,
    len: u64,
    cut_at: Option<u64>,
    stall: Option<Stall>,
    rate: Option<u64>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let started = tokio::time::Instant::now();
    let chunk = rate.map_or(CHUNK, |r| (r as usize / 20).clamp(1024, CHUNK));
    let stall = Arc::new(stall);
    futures_util::stream::unfold((file, 0u64), move |(mut file, sent)| {
        let stall = Arc::clone(&stall);
        async move {
            if let Some(stall) = stall.as_ref()
                && sent >= stall.at
                && sent < len
            {
                // Silence, the connection held open, until the client hangs up or the sandbox stops.
                stall.until.cancelled().await;
                let stopped = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "stalled download ended by the sandbox stopping");
                return Some((Err(stopped), (file, len)));
            }
            let stall_at = stall.as_ref().as_ref().map_or(len, |s| s.at);
            let limit = cut_at.unwrap_or(len).min(stall_at);
            if sent >= limit {
                if sent >= len {
                    return None;
                }
                // Give the bytes already sent time to leave, as on a real dropped connection, rather
                // than letting the abort discard them from the write buffer.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let cut = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "download cut by the sandbox's fault injection");
                return Some((Err(cut), (file, len)));
            }
            if let Some(rate) = rate {
                tokio::time::sleep_until(started + Duration::from_secs_f64(sent as f64 / rate as f64)).await;
            }
            let want = chunk.min((limit - sent) as usize);
            let mut buf = vec![0u8; want];
            match file.read_exact(&mut buf).await {
                Ok(_) => Some((Ok(Bytes::from(buf)), (file, sent + want as u64))),
                Err(e) => Some((Err(e), (file, len))),
            }
        }
    })
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// Inclusive byte positions.
    Satisfiable(u64, u64),
    /// Not a single byte range we serve partially (multiple ranges, other units, garbage):
    /// answered with the whole object, as RFC 9110 allows.
    Ignored,
    Unsatisfiable,
}

pub(crate) fn parse_range(value: &[u8], size: u64) -> RangeRequest {
    let Some(spec) = std::str::from_utf8(value).ok().and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Ignored;
    };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignored;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = match (first.is_empty(), last.is_empty()) {
        (true, true) => return RangeRequest::Ignored,
        // Suffix range: the last N bytes.
        (true, false) => match last.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => (size.saturating_sub(n), size.saturating_sub(1)),
            Err(_) => return RangeRequest::Ignored,
        },
        (false, _) => {
            let Ok(start) = first.parse::<u64>() else { return RangeRequest::Ignored };
            let end = if last.is_empty() {
                size.saturating_sub(1)
            } else {
                match last.parse::<u64>() {
                    Ok(end) if end >= start => end.min(size.saturating_sub(1)),
                    _ => return RangeRequest::Ignored,
                }
            };
            (start, end)
        }
    };
    if size == 0 || parsed.0 >= size { RangeRequest::Unsatisfiable } else { RangeRequest::Satisfiable(parsed.0, parsed.1) }
}

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>");
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn internal() -> Response {
    storage_error(StatusCode::SERVICE_UNAVAILABLE, "InternalError", "Please try again.")
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""))
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_cloud_storage() {
        use RangeRequest::*;
        let cases: &[(&str, u64, RangeRequest)] = &[
            ("bytes=0-99", 1000, Satisfiable(0, 99)),
            ("bytes=500-", 1000, Satisfiable(500, 999)),
            ("bytes=-100", 1000, Satisfiable(900, 999)),
            ("bytes=-5000", 1000, Satisfiable(0, 999)),
            ("bytes=900-5000", 1000, Satisfiable(900, 999)),
            ("bytes=1000-", 1000, Unsatisfiable),
            ("bytes=-0", 1000, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=5-3", 1000, Ignored),
            ("bytes=0-1,5-6", 1000, Ignored),
            ("items=0-1", 1000, Ignored),
            ("bytes=x-y", 1000, Ignored),
            ("bytes=-", 1000, Ignored),
        ];
        for (header, size, expected) in cases {
            assert_eq!(&parse_range(header.as_bytes(), *size), expected, "{header}");
        }
    }

    #[test]
    fn signatures_bind_path_and_expiry() {
        let signer = Signer::new().unwrap();
        let url = signer.url("http://h", 7, Duration::from_secs(60));
        let (path, query) = url.trim_start_matches("http://h").split_once('?').unwrap();
        let params: Vec<&str> = query.split('&').map(|p| p.split_once('=').unwrap().1).collect();
        let expires: u64 = params[0].parse().unwrap();
        assert!(signer.verify(path, expires, params[1]));
        assert!(!signer.verify(path, expires + 1, params[1]));
        assert!(!signer.verify("/annolab-exports/jobs/8/export-8.zip", expires, params[1]));
        assert!(!signer.verify(path, expires, "zz"));
        assert!(!Signer::new().unwrap().verify(path, expires, params[1]));
    }
}
