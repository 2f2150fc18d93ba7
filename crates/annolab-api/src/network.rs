//! Why a connection failed, in words: reqwest's error is read down its source chain for the
//! cause a user can act on (refused, a name that does not resolve, a certificate not trusted),
//! and whether trying again can help.

use std::error::Error as StdError;

use crate::error::ApiError;

/// What went wrong before any answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Nothing accepts connections at that address and port.
    Refused,
    /// The host name did not resolve (possibly a passing DNS fault).
    NoSuchHost,
    /// The TLS handshake failed: retrying cannot fix a certificate.
    Tls(String),
    /// No answer in time, or the connection broke: worth retrying.
    Other(String),
}

impl Failure {
    pub(crate) fn of(error: &reqwest::Error) -> Failure {
        let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
        // A certificate refused, in a wrapper's words: kept only if rustls's own error, deeper
        // down, cannot be found (its words say what to do).
        let mut refused_certificate = None;
        while let Some(current) = cause {
            if let Some(tls) = current.downcast_ref::<rustls::Error>() {
                return Failure::Tls(tls_words(tls));
            }
            let mut next = current.source();
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::ConnectionRefused {
                    return Failure::Refused;
                }
                // io::Error's source() skips its own payload, which is where rustls (and
                // another io::Error wrapping it) sits: walk into the payload instead.
                if let Some(inner) = io.get_ref() {
                    next = Some(inner as &(dyn StdError + 'static));
                }
            }
            let text = current.to_string();
            // hyper-util's resolver says "dns error"; getaddrinfo "failed to lookup address".
            if text.starts_with("dns error") || text.contains("failed to lookup address") || text.contains("Name or service not known") {
                return Failure::NoSuchHost;
            }
            if text.contains("invalid peer certificate") && refused_certificate.is_none() {
                refused_certificate = Some(text);
            }
            cause = next;
        }
        if let Some(text) = refused_certificate {
            return Failure::Tls(text);
        }
        if error.is_timeout() {
            Failure::Other("no answer in time".to_owned())
        } else if error.is_connect() {
            Failure::Other("could not connect".to_owned())
        } else if error.is_body() || error.is_request() {
            Failure::Other("the connection broke off".to_owned())
        } else {
            Failure::Other("the connection failed".to_owned())
        }
    }

    /// Whether another try can succeed: refused (a server restarting) and DNS (a passing fault)
    /// can; a certificate cannot.
    pub(crate) fn retryable(&self) -> bool {
        !matches!(self, Failure::Tls(_))
    }

    pub(crate) fn into_error(self, host: &str, attempts: u32) -> ApiError {
        let host = host.to_owned();
        match self {
            Failure::Refused => ApiError::ConnectionRefused { host, attempts },
            Failure::NoSuchHost => ApiError::HostNotFound { host, attempts },
            Failure::Tls(reason) => ApiError::TlsFailed { host, reason },
            Failure::Other(reason) => ApiError::NetworkGaveUp { host, attempts, reason },
        }
    }
}

/// `host:port` as a user typed it (the port only when the URL names one).
pub(crate) fn host_of(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "the server".to_owned(),
    }
}

fn tls_words(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => {
                "its certificate is not signed by an authority this computer trusts (a self-signed certificate, or a proxy that intercepts HTTPS)".to_owned()
            }
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".to_owned(),
            C::NotValidYet | C::NotValidYetContext { .. } => "its certificate is not valid yet (check this computer's clock)".to_owned(),
            C::NotValidForName | C::NotValidForNameContext { .. } => "its certificate is for another host name".to_owned(),
            C::Revoked => "its certificate has been revoked".to_owned(),
            other => format!("its certificate was refused ({other:?})"),
        },
        rustls::Error::AlertReceived(alert) => format!("the server ended the secure handshake ({alert:?})"),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "the server did not answer in TLS (is it plain http on this port?)".to_owned()
        }
        other => format!("the secure handshake failed ({other})"),
    }
}
