//! The launcher's side of the conversation: the one JSON line `serve` prints, the loopback
//! origin it announces, and the URLs a shell derives from it.

use std::fmt;

use serde::Deserialize;
pub use url::Url;

/// The single line `serve` writes on stdout before anything else can happen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum LauncherEvent {
    Ready {
        url: String,
        pid: u32,
        /// Present when this serve has just undone a failed backend update.
        #[serde(default, rename = "rolledBack")]
        rolled_back: Option<RolledBack>,
    },
    Error {
        message: String,
        #[serde(default)]
        log: Option<String>,
    },
}

/// What a serve that rolled back a failed backend update reports in its ready line: the
/// version that failed, the one running now, and the log that says why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RolledBack {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub log: Option<String>,
}

impl RolledBack {
    /// The one sentence the user sees.
    pub fn message(&self) -> String {
        let log = self.log.as_deref().unwrap_or("the app's logs folder");
        format!(
            "Backend {} failed to start; you are back on {}. Details: {log}",
            self.from, self.to
        )
    }
}

impl LauncherEvent {
    pub fn parse(line: &str) -> Result<Self, String> {
        serde_json::from_str(line.trim()).map_err(|err| err.to_string())
    }
}

/// Where the backend listens. Only plain HTTP on a loopback address is accepted, with the same
/// rule as the other shells (shared vectors: `tests/contracts/loopback-origins.json`); anything
/// else in the ready line means the backend is not the one this shell expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    host: String,
    port: u16,
}

/// `localhost` is a name, not an address: a hosts file or resolver can point it elsewhere, so
/// only the two loopback addresses count (as in the Electron shell's `origin.js`).
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "[::1]"];

impl Origin {
    /// Validate the URL from the ready line. WHATWG URL parsing (the `url` crate, as in the
    /// browser engines) decides what the host and port are, never string slicing.
    pub fn parse(url: &str) -> Result<Self, String> {
        let parsed =
            Url::parse(url).map_err(|err| format!("{url:?} is not a valid URL ({err})"))?;
        if parsed.scheme() != "http" {
            return Err(format!("{url:?} must use http, not {}", parsed.scheme()));
        }
        let host = parsed.host_str().unwrap_or_default();
        if !LOOPBACK_HOSTS.contains(&host) {
            return Err(format!("{url:?} is not on a loopback address (127.0.0.1 or [::1])"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!("{url:?} must not carry credentials"));
        }
        // `port()` is None both when the URL names none and when it names the scheme's default.
        let port = parsed.port().ok_or_else(|| format!("{url:?} does not name its port"))?;
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

    /// Same scheme, host and port: the only pages the app window may show.
    pub fn matches(&self, url: &Url) -> bool {
        url.scheme() == "http"
            && url.host_str() == Some(self.host.as_str())
            && url.port_or_known_default() == Some(self.port)
    }

    /// What the app window does with a navigation to `url`.
    pub fn navigation(&self, url: &Url) -> Navigation {
        if self.matches(url) {
            Navigation::Allow
        } else if matches!(url.scheme(), "http" | "https" | "mailto") {
            Navigation::OpenInBrowser
        } else {
            Navigation::Deny
        }
    }

    /// [`Origin::navigation`] for a URL that is still text: one that does not parse is refused.
    pub fn navigation_for_text(&self, url: &str) -> Navigation {
        Url::parse(url).map_or(Navigation::Deny, |url| self.navigation(&url))
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
            Ok(LauncherEvent::Ready {
                url: "http://127.0.0.1:5001".into(),
                pid: 42,
                rolled_back: None
            })
        );
        let rolled_back = LauncherEvent::parse(
            r#"{"event": "ready", "url": "http://127.0.0.1:5001", "pid": 42,
                "rolledBack": {"from": "0.2.0", "to": "0.1.1", "log": "/d/logs/serve.log"}}"#,
        );
        let Ok(LauncherEvent::Ready { rolled_back: Some(report), .. }) = rolled_back else {
            panic!("{rolled_back:?}")
        };
        assert_eq!(
            report.message(),
            "Backend 0.2.0 failed to start; you are back on 0.1.1. Details: /d/logs/serve.log"
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
    fn port_zero_is_not_an_origin() {
        // Nothing listens on port 0; not in the shared vectors, since a URL parser alone (the
        // other shells' check) accepts it.
        assert!(Origin::parse("http://127.0.0.1:0").is_err());
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
