//! The launcher's side of the conversation: the one JSON line `serve` prints, the loopback
//! origin it announces, and the URLs a shell derives from it.

use std::fmt;

use serde::Deserialize;

/// The single line `serve` writes on stdout before anything else can happen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum LauncherEvent {
    Ready {
        url: String,
        pid: u32,
    },
    Error {
        message: String,
        #[serde(default)]
        log: Option<String>,
    },
}

impl LauncherEvent {
    pub fn parse(line: &str) -> Result<Self, String> {
        serde_json::from_str(line.trim()).map_err(|err| err.to_string())
    }
}

/// Where the backend listens. Only loopback over plain HTTP is accepted: anything else in the
/// ready line means the backend is not the one this shell expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    host: String,
    port: u16,
}

const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

impl Origin {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest =
            url.strip_prefix("http://").ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) =
            authority.rsplit_once(':').ok_or_else(|| format!("{url:?} has no port"))?;
        if !LOOPBACK_HOSTS.contains(&host) {
            return Err(format!("{url:?} is not a loopback address"));
        }
        let port: u16 = port.parse().map_err(|_| format!("{url:?} has no valid port"))?;
        if port == 0 {
            return Err(format!("{url:?} has port 0"));
        }
        Ok(Self { host: host.to_owned(), port })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://host:port`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Same scheme, host and port: the only pages the app window may show. Takes the parts of
    /// an already parsed URL so the caller's URL parser, not string matching, decides them.
    pub fn matches(&self, scheme: &str, host: Option<&str>, port: Option<u16>) -> bool {
        scheme == "http" && host == Some(self.host.as_str()) && port == Some(self.port)
    }

    /// What the app window does with a navigation to the given URL parts.
    pub fn navigation(&self, scheme: &str, host: Option<&str>, port: Option<u16>) -> Navigation {
        if self.matches(scheme, host, port) {
            Navigation::Allow
        } else if matches!(scheme, "http" | "https" | "mailto") {
            Navigation::OpenInBrowser
        } else {
            Navigation::Deny
        }
    }

    /// The one-time URL that trades the token for an HttpOnly cookie and redirects to `next`
    /// (the backend also refuses any `next` that is not a same-origin path).
    pub fn bootstrap_url(&self, token: &str, next: &str) -> String {
        format!(
            "{}/desktop-auth/bootstrap/?token={}&next={}",
            self.url(),
            encode_query(token),
            encode_query(next)
        )
    }

    /// The URL for a health check with the token header.
    pub fn health_url(&self) -> String {
        format!("{}/health/", self.url())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// The app window's navigation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigation {
    /// The backend origin: load it in the app window.
    Allow,
    /// A web or mail link elsewhere: hand it to the OS, never load it in the app window.
    OpenInBrowser,
    /// Anything else (file:, javascript:, data:, custom schemes): refuse.
    Deny,
}

/// Percent-encode a query value, keeping unreserved characters and '/' readable.
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_and_error_lines_parse() {
        let ready = LauncherEvent::parse(
            r#"{"event": "ready", "url": "http://127.0.0.1:5001", "pid": 42}"#,
        );
        assert_eq!(
            ready,
            Ok(LauncherEvent::Ready { url: "http://127.0.0.1:5001".into(), pid: 42 })
        );
        let error =
            LauncherEvent::parse(r#"{"event":"error","message":"boom","log":"/tmp/x.log"}"#);
        assert_eq!(
            error,
            Ok(LauncherEvent::Error { message: "boom".into(), log: Some("/tmp/x.log".into()) })
        );
    }

    #[test]
    fn anything_else_is_a_protocol_error() {
        assert!(LauncherEvent::parse("Starting development server").is_err());
        assert!(LauncherEvent::parse(r#"{"event":"started"}"#).is_err());
        assert!(LauncherEvent::parse(r#"{"event":"ready","url":"http://127.0.0.1:1"}"#).is_err());
    }

    #[test]
    fn only_loopback_http_origins_are_accepted() {
        assert_eq!(Origin::parse("http://127.0.0.1:8123").unwrap().url(), "http://127.0.0.1:8123");
        assert_eq!(Origin::parse("http://[::1]:8123/").unwrap().port(), 8123);
        for bad in [
            "https://127.0.0.1:8123",
            "http://0.0.0.0:8123",
            "http://example.com:80",
            "http://127.0.0.1",
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://user@127.0.0.1:8123",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn navigation_is_locked_to_the_backend_origin() {
        let origin = Origin::parse("http://127.0.0.1:8123").unwrap();
        assert_eq!(origin.navigation("http", Some("127.0.0.1"), Some(8123)), Navigation::Allow);
        assert_eq!(
            origin.navigation("http", Some("127.0.0.1"), Some(8124)),
            Navigation::OpenInBrowser
        );
        assert_eq!(
            origin.navigation("http", Some("localhost"), Some(8123)),
            Navigation::OpenInBrowser
        );
        assert_eq!(
            origin.navigation("https", Some("docs.djangoproject.com"), None),
            Navigation::OpenInBrowser
        );
        assert_eq!(origin.navigation("file", None, None), Navigation::Deny);
        assert_eq!(origin.navigation("javascript", None, None), Navigation::Deny);
    }

    #[test]
    fn bootstrap_url_carries_token_and_encoded_next() {
        let origin = Origin::parse("http://127.0.0.1:8123").unwrap();
        assert_eq!(
            origin.bootstrap_url("ab12", "/"),
            "http://127.0.0.1:8123/desktop-auth/bootstrap/?token=ab12&next=/"
        );
        assert_eq!(
            origin.bootstrap_url("ab12", "/ponies/?q=a b&x=1"),
            "http://127.0.0.1:8123/desktop-auth/bootstrap/?token=ab12&next=/ponies/%3Fq%3Da%20b%26x%3D1"
        );
    }
}
