//! The per-session token that proves a request comes from this shell.

use std::fmt;

/// 32 bytes from the operating system's random source, as 64 lowercase hex characters: the
/// format `DESKTOP_DJANGO_AUTH_TOKEN` expects. Debug output never shows it, so the token cannot
/// leak into logs through `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub const BYTES: usize = 32;

    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; Self::BYTES];
        getrandom::getrandom(&mut bytes)?;
        Ok(Self(hex(&bytes)))
    }

    /// The token itself, for the child environment and the bootstrap URL only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_lowercase_hex_characters() {
        let token = SessionToken::generate().unwrap();
        assert_eq!(token.expose().len(), 64);
        assert!(token.expose().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn tokens_differ_between_sessions() {
        assert_ne!(SessionToken::generate().unwrap(), SessionToken::generate().unwrap());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = SessionToken::generate().unwrap();
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn hex_encodes_every_nibble() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
