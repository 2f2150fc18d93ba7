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
    #[error("Could not reach {host} after {attempts} attempts ({reason}). Check the network connection and try again.")]
    NetworkGaveUp { host: String, attempts: u32, reason: String },
    #[error(
        "{host} refused the connection ({attempts} attempts): nothing is accepting connections there. Check the server URL and port, and that the server is running."
    )]
    ConnectionRefused { host: String, attempts: u32 },
    #[error(
        "The host name {host} could not be found ({attempts} attempts; the name did not resolve). Check the server URL for a typo, and the network connection."
    )]
    HostNotFound { host: String, attempts: u32 },
    #[error("The secure connection to {host} failed: {reason}. Not retried; check the server URL, or ask whoever runs the server.")]
    TlsFailed { host: String, reason: String },
    #[error("The download host {host} kept closing the connection before the end of the file: {received} of {} bytes arrived, and {attempts} tries in a row brought no more.", total.map_or_else(|| "the promised".to_owned(), |t| t.to_string()))]
    DownloadIncomplete { host: String, received: u64, total: Option<u64>, attempts: u32 },
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

/// What kind of failure, for the CLI's exit codes and the engine's own kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    Usage,
    Auth,
    NotFound,
    Network,
    Server,
    Download,
}

/// The stable code of each [`ApiError`]: front ends match on it, never on the message. The
/// spelling (snake case) is what the UI receives and job records keep: add codes, never rename.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    InvalidServerUrl,
    InsecureServer,
    MissingKey,
    MalformedKey,
    Unauthorized,
    Forbidden,
    NotFound,
    BadRequest,
    ServerError,
    RateLimited,
    NetworkGaveUp,
    UnexpectedResponse,
    StatusUrlOffServer,
    SignedUrlExpired,
    DownloadRefused,
    RangeBeyondEnd,
    RedirectOffHost,
    ConnectionRefused,
    HostNotFound,
    TlsFailed,
    DownloadIncomplete,
}

impl ApiErrorCode {
    /// The code as the UI and job records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiErrorCode::InvalidServerUrl => "invalid_server_url",
            ApiErrorCode::InsecureServer => "insecure_server",
            ApiErrorCode::MissingKey => "missing_key",
            ApiErrorCode::MalformedKey => "malformed_key",
            ApiErrorCode::Unauthorized => "unauthorized",
            ApiErrorCode::Forbidden => "forbidden",
            ApiErrorCode::NotFound => "not_found",
            ApiErrorCode::BadRequest => "bad_request",
            ApiErrorCode::ServerError => "server_error",
            ApiErrorCode::RateLimited => "rate_limited",
            ApiErrorCode::NetworkGaveUp => "network_gave_up",
            ApiErrorCode::UnexpectedResponse => "unexpected_response",
            ApiErrorCode::StatusUrlOffServer => "status_url_off_server",
            ApiErrorCode::SignedUrlExpired => "signed_url_expired",
            ApiErrorCode::DownloadRefused => "download_refused",
            ApiErrorCode::RangeBeyondEnd => "range_beyond_end",
            ApiErrorCode::RedirectOffHost => "redirect_off_host",
            ApiErrorCode::ConnectionRefused => "connection_refused",
            ApiErrorCode::HostNotFound => "host_not_found",
            ApiErrorCode::TlsFailed => "tls_failed",
            ApiErrorCode::DownloadIncomplete => "download_incomplete",
        }
    }
}

impl ApiError {
    /// Whether resuming the export later can get past this: a network that failed, not a
    /// certificate or a refusal. Front ends say "the export can be resumed" for these only.
    pub fn resumable(&self) -> bool {
        matches!(
            self,
            ApiError::NetworkGaveUp { .. }
                | ApiError::ConnectionRefused { .. }
                | ApiError::HostNotFound { .. }
                | ApiError::RateLimited { .. }
                | ApiError::DownloadIncomplete { .. }
        )
    }

    pub fn kind(&self) -> ApiErrorKind {
        match self {
            ApiError::InvalidServerUrl { .. } | ApiError::InsecureServer { .. } | ApiError::MalformedKey | ApiError::BadRequest { .. } => ApiErrorKind::Usage,
            ApiError::MissingKey | ApiError::Unauthorized { .. } | ApiError::Forbidden { .. } => ApiErrorKind::Auth,
            ApiError::NotFound { .. } => ApiErrorKind::NotFound,
            ApiError::RateLimited { .. }
            | ApiError::NetworkGaveUp { .. }
            | ApiError::ConnectionRefused { .. }
            | ApiError::HostNotFound { .. }
            | ApiError::TlsFailed { .. }
            | ApiError::DownloadIncomplete { .. } => ApiErrorKind::Network,
            ApiError::Server { .. } | ApiError::UnexpectedResponse { .. } | ApiError::StatusUrlOffServer { .. } => ApiErrorKind::Server,
            ApiError::SignedUrlExpired | ApiError::Download { .. } | ApiError::RangeBeyondEnd { .. } | ApiError::RedirectOffHost { .. } => {
                ApiErrorKind::Download
            }
        }
    }

    /// The stable code, e.g. for `{code, message}` sent to the UI.
    pub fn code(&self) -> ApiErrorCode {
        match self {
            ApiError::InvalidServerUrl { .. } => ApiErrorCode::InvalidServerUrl,
            ApiError::InsecureServer { .. } => ApiErrorCode::InsecureServer,
            ApiError::MissingKey => ApiErrorCode::MissingKey,
            ApiError::MalformedKey => ApiErrorCode::MalformedKey,
            ApiError::Unauthorized { .. } => ApiErrorCode::Unauthorized,
            ApiError::Forbidden { .. } => ApiErrorCode::Forbidden,
            ApiError::NotFound { .. } => ApiErrorCode::NotFound,
            ApiError::BadRequest { .. } => ApiErrorCode::BadRequest,
            ApiError::Server { .. } => ApiErrorCode::ServerError,
            ApiError::RateLimited { .. } => ApiErrorCode::RateLimited,
            ApiError::NetworkGaveUp { .. } => ApiErrorCode::NetworkGaveUp,
            ApiError::UnexpectedResponse { .. } => ApiErrorCode::UnexpectedResponse,
            ApiError::StatusUrlOffServer { .. } => ApiErrorCode::StatusUrlOffServer,
            ApiError::SignedUrlExpired => ApiErrorCode::SignedUrlExpired,
            ApiError::Download { .. } => ApiErrorCode::DownloadRefused,
            ApiError::RangeBeyondEnd { .. } => ApiErrorCode::RangeBeyondEnd,
            ApiError::RedirectOffHost { .. } => ApiErrorCode::RedirectOffHost,
            ApiError::ConnectionRefused { .. } => ApiErrorCode::ConnectionRefused,
            ApiError::HostNotFound { .. } => ApiErrorCode::HostNotFound,
            ApiError::TlsFailed { .. } => ApiErrorCode::TlsFailed,
            ApiError::DownloadIncomplete { .. } => ApiErrorCode::DownloadIncomplete,
        }
    }
}
