//! Where the API is, and the key that opens it.

use std::net::IpAddr;

use url::Url;

use crate::error::ApiError;

pub const DEFAULT_SERVER: &str = "https://api.annolab.ai";

/// An API base URL the key may travel to: HTTPS, or plain HTTP to this machine only (the
/// sandbox). Anything else is refused before a request is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

impl ServerUrl {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let trimmed = text.trim();
        let url = Url::parse(trimmed).map_err(|e| ApiError::InvalidServerUrl { url: trimmed.to_owned(), reason: e.to_string() })?;
        let invalid = |reason: &str| ApiError::InvalidServerUrl { url: trimmed.to_owned(), reason: reason.to_owned() };
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not carry a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(ApiError::InsecureServer { url: trimmed.to_owned() }),
            _ => return Err(invalid("it must start with https://")),
        }
        Ok(ServerUrl(url))
    }

    /// The URL of an API path such as `v1/export/instruments`.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        url
    }

    /// Whether `url` is on this server's origin (scheme, host and port): only such URLs get the key.
    pub fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.0.origin()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// An API key. It has no `Display`, and its `Debug` hides it, so it cannot end up in a log line
/// or an error message by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Result<Self, ApiError> {
        let key = key.into().trim().to_owned();
        if key.is_empty() {
            return Err(ApiError::MissingKey);
        }
        if key.chars().any(|c| c.is_control() || c == ' ') {
            return Err(ApiError::MalformedKey);
        }
        Ok(ApiKey(key))
    }

    /// The secret itself, for the keychain and the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_only_travels_over_https_or_to_this_machine() {
        for ok in [
            "https://api.annolab.ai",
            "https://api.annolab.ai/",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://eu.example.com/annolab",
        ] {
            assert!(ServerUrl::parse(ok).is_ok(), "{ok}");
        }
        assert!(matches!(ServerUrl::parse("http://api.annolab.ai"), Err(ApiError::InsecureServer { .. })));
        assert!(matches!(ServerUrl::parse("http://192.168.1.5:8080"), Err(ApiError::InsecureServer { .. })));
        for bad in ["ftp://x", "api.annolab.ai", "", "https://user:pw@api.annolab.ai", "https://api.annolab.ai/?a=b"] {
            assert!(matches!(ServerUrl::parse(bad), Err(ApiError::InvalidServerUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn paths_join_onto_a_base_with_or_without_a_prefix() {
        let plain = ServerUrl::parse("https://api.annolab.ai/").unwrap();
        assert_eq!(plain.join("v1/api-key/info").as_str(), "https://api.annolab.ai/v1/api-key/info");
        let prefixed = ServerUrl::parse("https://gw.example.com/annolab/").unwrap();
        assert_eq!(prefixed.join("/v1/api-key/info").as_str(), "https://gw.example.com/annolab/v1/api-key/info");
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let key = ApiKey::new("secret-123").unwrap();
        assert!(!format!("{key:?}").contains("secret"));
        assert!(matches!(ApiKey::new("  "), Err(ApiError::MissingKey)));
        assert!(matches!(ApiKey::new("a b"), Err(ApiError::MalformedKey)));
    }
}
