//! URLs that are safe to print or record: credentials never leave the process.
//!
//! Index URLs often carry a token (`https://user:token@host/simple`). hashpin uses it for
//! requests, and shows `****` in its place anywhere a person or a file could read it.

use std::fmt;

use url::Url;

/// Displays a URL with any password (or lone token) replaced by `****`.
pub(crate) struct Redacted<'a>(pub(crate) &'a Url);

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

/// Redacts credentials in a URL given as text, even one that does not parse.
pub(crate) fn redact_str(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => Redacted(&url).to_string(),
        Err(_) => redact_text(text),
    }
}

/// Redacts every `scheme://user:secret@` in free text (a requirement line, an error message):
/// the secret becomes `****`, and a lone `token@` becomes `****@`.
pub(crate) fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find("://") {
        let authority_start = index + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":****");
                    }
                    None => out.push_str("****"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &rest[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Encodes `text` as one URL path segment: everything but RFC 3986's unreserved characters and
/// the sub-delimiters a filename may hold (`+`, `!`, ...) becomes `%XX`.
pub(crate) fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (not `+`: in a URL's user info a `+` is a plus, as pip reads it).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && bytes[index + 1].is_ascii_hexdigit()
            && bytes[index + 2].is_ascii_hexdigit()
            && let Ok(byte) = u8::from_str_radix(&text[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL as it may be recorded in a lockfile: no credentials, no fragment.
pub(crate) fn recordable(url: &Url) -> String {
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
        assert_eq!(
            redact_str("https://alice:s3cret@h:99999/simple"),
            "https://alice:****@h:99999/simple"
        );
        assert_eq!(
            redact_text("pkg @ http://alice:s3cret@host/p.whl ; x and https://tok@h2/y"),
            "pkg @ http://alice:****@host/p.whl ; x and https://****@h2/y"
        );
        assert_eq!(percent_decode("a+b%2Bc%zz%"), "a+b+c%zz%");
    }
}
