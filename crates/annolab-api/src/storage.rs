//! Fetching signed download URLs. This client has no default headers and no credentials of any
//! kind, and follows redirects only within the same host, so the API key can never reach the
//! download host, nor anything it redirects to.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, LOCATION, RANGE};

use crate::error::ApiError;
use crate::network::{Failure, host_of};
use crate::retry::{RetryPolicy, retry_after};

/// How long a download may go without a single byte before it counts as stalled (cut) and is
/// resumed: long enough for a slow link, short enough that a proxy that stops sending without
/// closing costs half a minute, not the whole export.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Storage {
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// An open download: the bytes from `offset` on, of an object of `total` bytes when known.
#[derive(Debug)]
pub struct StorageBody {
    pub offset: u64,
    pub total: Option<u64>,
    response: reqwest::Response,
}

impl StorageBody {
    /// The next chunk, or None at the end. An error here is a cut connection: resume from the
    /// bytes received so far.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, reqwest::Error> {
        self.response.chunk().await
    }
}

impl Storage {
    pub fn new() -> Result<Self, ApiError> {
        Ok(Storage { http: http_client(READ_TIMEOUT)?, retry: RetryPolicy::default() })
    }

    /// This storage with another stall limit than [`READ_TIMEOUT`] (tests use a second or two).
    pub fn with_read_timeout(self, timeout: Duration) -> Result<Self, ApiError> {
        Ok(Storage { http: http_client(timeout)?, ..self })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Opens `url` from byte `offset` (a `Range` request when above zero). Retries connection
    /// failures and 5xx; a 403 is [`ApiError::SignedUrlExpired`], for the caller to poll again.
    pub async fn fetch(&self, url: &str, offset: u64) -> Result<StorageBody, ApiError> {
        let host = reqwest::Url::parse(url).map_or_else(|_| "the download host".to_owned(), |u| host_of(&u));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.get(url);
            if offset > 0 {
                request = request.header(RANGE, format!("bytes={offset}-"));
            }
            let (failure, wait) = match request.send().await {
                Ok(response) => match open(response, offset) {
                    Ok(body) => return Ok(body),
                    Err(Retry::No(error)) => return Err(error),
                    Err(Retry::Yes(error, wait)) => (error, wait),
                },
                Err(e) => {
                    let failure = Failure::of(&e);
                    if !failure.retryable() {
                        return Err(failure.into_error(&host, attempt));
                    }
                    (failure.into_error(&host, attempt), None)
                }
            };
            if attempt >= self.retry.attempts {
                return Err(failure);
            }
            tokio::time::sleep(self.retry.delay(attempt, wait)).await;
        }
    }
}

fn http_client(read_timeout: Duration) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_host = attempt.previous().first().map(|first| first.host_str()) == Some(attempt.url().host_str());
            if same_host && attempt.previous().len() < 5 { attempt.follow() } else { attempt.stop() }
        }))
        .connect_timeout(Duration::from_secs(10))
        // A stalled transfer is noticed and resumed rather than waited on forever.
        .read_timeout(read_timeout)
        .build()
        .map_err(|e| ApiError::Download { status: 0, message: e.to_string() })
}

enum Retry {
    /// Worth another try, after the host's `Retry-After` when it gave one.
    Yes(ApiError, Option<Duration>),
    No(ApiError),
}

fn open(response: reqwest::Response, offset: u64) -> Result<StorageBody, Retry> {
    let status = response.status();
    match status {
        StatusCode::OK => {
            let total = header_u64(&response, CONTENT_LENGTH);
            Ok(StorageBody { offset: 0, total, response })
        }
        StatusCode::PARTIAL_CONTENT => {
            let (start, total) = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .ok_or_else(|| Retry::No(ApiError::Download { status: 206, message: "a partial answer without a usable Content-Range".into() }))?;
            if start != offset {
                return Err(Retry::No(ApiError::Download { status: 206, message: format!("asked for bytes from {offset}, got them from {start}") }));
            }
            Ok(StorageBody { offset: start, total, response })
        }
        StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => {
            // `Content-Range: bytes */TOTAL` says how long the object is.
            let total = response.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()?.trim().strip_prefix("bytes */")?.parse().ok());
            Err(Retry::No(ApiError::RangeBeyondEnd { offset, total }))
        }
        StatusCode::FORBIDDEN => Err(Retry::No(ApiError::SignedUrlExpired)),
        s if s.is_redirection() => {
            let host = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| reqwest::Url::parse(l).ok())
                .and_then(|u| u.host_str().map(str::to_owned));
            Err(Retry::No(ApiError::RedirectOffHost { host: host.unwrap_or_else(|| "unknown".into()) }))
        }
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            let wait = retry_after(response.headers());
            Err(Retry::Yes(ApiError::Download { status: s.as_u16(), message: s.canonical_reason().unwrap_or("").into() }, wait))
        }
        s => Err(Retry::No(ApiError::Download { status: s.as_u16(), message: s.canonical_reason().unwrap_or("").into() })),
    }
}

fn header_u64(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, Some(1000))));
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }
}
