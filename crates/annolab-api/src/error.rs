//! What can go wrong talking to AnnoLab, as variants a caller can act on, each with a stable code
//! and a message that says what happened and what to do.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    #[error("{url:?} is not a usable server URL: {reason}.")]
    InvalidServerUrl { url: String, reason: String },
    #[error("Refusing to send the API key to {url} over plain http. Use https:// (plain http is allowed only to this machine).")]
    InsecureServer { url: String },
    #[error("No API key is set. Log in with a key, or set ANNOLAB_API_KEY.")]
    MissingKey,
    #[error("The API key contains spaces or control characters; paste it again.")]
    MalformedKey,
    #[error(
        "AnnoLab rejected the API key (401): {message} Check that the key is current and was pasted whole (in the app: Profiles; on the command line: `annolab-export login`)."
    )]
    Unauthorized { message: String },
    #[error("AnnoLab refused access (403): {message} Exports need a key with Read permission.")]
    Forbidden { message: String },
    #[error("Not found (404): {message} Check the project owner and name on AnnoLab's \"All Projects\" page.")]
    NotFound { message: String },
    #[error("AnnoLab rejected the request (400): {message}")]
    BadRequest { message: String },
    #[error("AnnoLab answered {status}: {message}")]
    Server { status: u16, message: String },
    #[error("AnnoLab kept rate-limiting requests (429) after {attempts} attempts; try again in a few minutes.")]
    RateLimited { attempts: u32, retry_after: Option<Duration> },
    #[error("Could not reach {host} after {attempts} attempts ({reason}). Check the network connection and try again; the export can be resumed.")]
    NetworkGaveUp { host: String, attempts: u32, reason: String },
    #[error("AnnoLab sent a response this client does not understand ({what}). Is the server URL an AnnoLab API?")]
    UnexpectedResponse { what: String },
    #[error("The export status URL {url} is not on the API server; the key is only ever sent to the API server.")]
    StatusUrlOffServer { url: String },
    #[error("The download link has expired or was refused (403). A fresh one is fetched by polling again.")]
    SignedUrlExpired,
    #[error("The download host refused the request ({status}): {message}")]
    Download { status: u16, message: String },
    /// 416 to a request from `offset` on: the object is `total` bytes (when the host says).
    #[error("The download host has no bytes from {offset} on (416); the file is {} bytes.", total.map_or_else(|| "fewer".to_owned(), |t| t.to_string()))]
    RangeBeyondEnd { offset: u64, total: Option<u64> },
    #[error("The download host redirected to another host ({host}); refused.")]
    RedirectOffHost { host: String },
}

/// Stable codes for front ends: the UI and the CLI's exit codes match on these, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Usage,
    Auth,
    NotFound,
    Network,
    Server,
    Download,
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidServerUrl { .. } | ApiError::InsecureServer { .. } | ApiError::MalformedKey | ApiError::BadRequest { .. } => ErrorCode::Usage,
            ApiError::MissingKey | ApiError::Unauthorized { .. } | ApiError::Forbidden { .. } => ErrorCode::Auth,
            ApiError::NotFound { .. } => ErrorCode::NotFound,
            ApiError::RateLimited { .. } | ApiError::NetworkGaveUp { .. } => ErrorCode::Network,
            ApiError::Server { .. } | ApiError::UnexpectedResponse { .. } | ApiError::StatusUrlOffServer { .. } => ErrorCode::Server,
            ApiError::SignedUrlExpired | ApiError::Download { .. } | ApiError::RangeBeyondEnd { .. } | ApiError::RedirectOffHost { .. } => ErrorCode::Download,
        }
    }

    /// A short stable identifier, e.g. for `{code, message}` sent to the UI.
    pub fn id(&self) -> &'static str {
        match self {
            ApiError::InvalidServerUrl { .. } => "invalid_server_url",
            ApiError::InsecureServer { .. } => "insecure_server",
            ApiError::MissingKey => "missing_key",
            ApiError::MalformedKey => "malformed_key",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Server { .. } => "server_error",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NetworkGaveUp { .. } => "network_gave_up",
            ApiError::UnexpectedResponse { .. } => "unexpected_response",
            ApiError::StatusUrlOffServer { .. } => "status_url_off_server",
            ApiError::SignedUrlExpired => "signed_url_expired",
            ApiError::Download { .. } => "download_refused",
            ApiError::RangeBeyondEnd { .. } => "range_beyond_end",
            ApiError::RedirectOffHost { .. } => "redirect_off_host",
        }
    }
}
