//! URLs that are safe to print or record: credentials never leave the process.
//!
//! Index URLs often carry a token (`https://user:token@host/simple`). hashpin uses it for
//! requests, and shows `****` in its place anywhere a person or a file could read it.

use std::fmt;

use url::Url;

/// Displays a URL with any password (or lone token) replaced by `****`.
pub struct Redacted<'a>(pub &'a Url);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.username().is_empty() && self.0.password().is_none() {
            return write!(f, "{}", self.0);
        }
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            // `user:token@` keeps the user, hides the token.
            let _ = shown.set_password(Some("****"));
        } else {
            // A lone `token@` is the secret itself.
            let _ = shown.set_username("****");
        }
        write!(f, "{shown}")
    }
}

/// Redacts credentials in a URL given as text; text that is not a URL is returned unchanged
/// unless it looks like it holds `user:secret@`.
pub fn redact_str(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => Redacted(&url).to_string(),
        Err(_) => text.to_string(),
    }
}

/// The URL as it may be recorded in a lockfile: no credentials, no fragment.
pub fn recordable(url: &Url) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_fragment(None);
    clean.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_secrets() {
        let url = Url::parse("https://alice:s3cret@host/simple/").unwrap();
        assert_eq!(
            Redacted(&url).to_string(),
            "https://alice:****@host/simple/"
        );
        let token = Url::parse("https://tok3n@host/simple/").unwrap();
        assert_eq!(Redacted(&token).to_string(), "https://****@host/simple/");
        let file = Url::parse("https://a:b@host/x.whl#sha256=00").unwrap();
        assert_eq!(recordable(&file), "https://host/x.whl");
        assert_eq!(redact_str("https://u:p@h/"), "https://u:****@h/");
    }
}
