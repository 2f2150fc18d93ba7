//! The API client: the only holder of the key, which it sends only to the API server's origin.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::ApiError;
use crate::json::{ExportRequestBody, ExportStarted, ExportStatus, KeyInfo, ProjectSummary};
use crate::network::{Failure, host_of};
use crate::retry::{RetryPolicy, retry_after};
use crate::server::{ApiKey, ServerUrl};

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    server: ServerUrl,
    key: ApiKey,
    retry: RetryPolicy,
}

impl Client {
    pub fn new(server: ServerUrl, key: ApiKey) -> Result<Self, ApiError> {
        let http = http_client(&server, Duration::from_secs(10), Duration::from_secs(60))?;
        Ok(Client { http, server, key, retry: RetryPolicy::default() })
    }

    /// This client for checks a person waits on (login, Test key, Check project, the export
    /// form's suggestions): [`RetryPolicy::interactive`], a 3 s connect timeout and a 15 s
    /// limit per request, so a server that is down is reported within seconds.
    pub fn interactive(self) -> Result<Self, ApiError> {
        let http = http_client(&self.server, Duration::from_secs(3), Duration::from_secs(15))?;
        Ok(Client { http, retry: RetryPolicy::interactive(), ..self })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// `GET /v1/api-key/info`: checks the key and lists the groups it can see.
    pub async fn key_info(&self) -> Result<KeyInfo, ApiError> {
        self.json(Method::GET, self.server.join("v1/api-key/info"), None).await
    }

    /// `GET /v1/project/{owner}/{name}`: checks a project exists and the key can read it.
    pub async fn project(&self, owner: &str, name: &str) -> Result<ProjectSummary, ApiError> {
        let mut url = self.server.join("v1/project");
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(owner).push(name);
        }
        self.json(Method::GET, url, None).await
    }

    /// `POST /v1/export/instruments`.
    pub async fn start_export(&self, body: &ExportRequestBody) -> Result<ExportStarted, ApiError> {
        let body = serde_json::to_value(body).map_err(|e| ApiError::UnexpectedResponse { what: e.to_string() })?;
        self.json(Method::POST, self.server.join("v1/export/instruments"), Some(body)).await
    }

    /// `GET <exportStatusUrl>`, followed as given, but only on the API server's origin.
    pub async fn export_status(&self, status_url: &str) -> Result<ExportStatus, ApiError> {
        let url = Url::parse(status_url).map_err(|_| ApiError::UnexpectedResponse { what: format!("status URL {status_url:?}") })?;
        if !self.server.same_origin(&url) {
            return Err(ApiError::StatusUrlOffServer { url: status_url.to_owned() });
        }
        self.json(Method::GET, url, None).await
    }

    async fn json<T: DeserializeOwned>(&self, method: Method, url: Url, body: Option<serde_json::Value>) -> Result<T, ApiError> {
        let bytes = self.send(method, url, body).await?;
        decode(&bytes)
    }

    /// Sends with retries on 429, 5xx, resets and timeouts; returns the body of a 2xx.
    async fn send(&self, method: Method, url: Url, body: Option<serde_json::Value>) -> Result<Vec<u8>, ApiError> {
        let host = host_of(&url);
        let mut auth = HeaderValue::from_str(&format!("Api-Key {}", self.key.expose())).map_err(|_| ApiError::MalformedKey)?;
        auth.set_sensitive(true);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.request(method.clone(), url.clone()).header(AUTHORIZATION, auth.clone());
            if let Some(body) = &body {
                request = request.json(body);
            }
            let last_try = attempt >= self.retry.attempts;
            let (retry_after, failure) = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let bytes = response.bytes().await;
                    match bytes {
                        Ok(bytes) if status.is_success() => return Ok(bytes.to_vec()),
                        Ok(bytes) => {
                            let failure = error_for(status, &bytes, attempt, retry_after);
                            if !retryable(status) || last_try {
                                return Err(failure);
                            }
                            (retry_after, failure)
                        }
                        Err(e) => (None, Failure::of(&e).into_error(&host, attempt)),
                    }
                }
                Err(e) => {
                    let failure = Failure::of(&e);
                    if !failure.retryable() {
                        return Err(failure.into_error(&host, attempt));
                    }
                    (None, failure.into_error(&host, attempt))
                }
            };
            if last_try {
                return Err(failure);
            }
            let pause = self.retry.delay(attempt, retry_after);
            tracing::debug!(%host, attempt, ?pause, error = %failure, "retrying AnnoLab request");
            tokio::time::sleep(pause).await;
        }
    }
}

/// A 2xx body as the answer it should be.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::UnexpectedResponse { what: format!("invalid JSON: {e}") })
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn http_client(server: &ServerUrl, connect: Duration, whole: Duration) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .user_agent(concat!("annolab-export/", env!("CARGO_PKG_VERSION")))
        // An API that redirects is answered as an error, as the official SDK does (>= 300):
        // following would carry the key wherever the redirect points.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
        .timeout(whole)
        .build()
        .map_err(|e| ApiError::NetworkGaveUp { host: server.to_string(), attempts: 0, reason: e.to_string() })
}

/// Turns a non-2xx answer into the error a caller can act on, with the server's own message.
pub(crate) fn error_for(status: StatusCode, body: &[u8], attempts: u32, retry_after: Option<Duration>) -> ApiError {
    let message = server_message(status, body);
    match status.as_u16() {
        400 | 413 | 422 => ApiError::BadRequest { message },
        401 => ApiError::Unauthorized { message },
        403 => ApiError::Forbidden { message },
        404 => ApiError::NotFound { message },
        429 => ApiError::RateLimited { attempts, retry_after },
        code => ApiError::Server { status: code, message },
    }
}

/// AnnoLab errors carry `{"message": ...}`; anything else is summarised, never dumped whole.
fn server_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(serde_json::Value::String(message)) = map.get("message")
    {
        return message.clone();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        return status.canonical_reason().unwrap_or("no message").to_owned();
    }
    text.chars().take(200).collect()
}
