//! Credentials for index hosts: from index URLs (`https://user:token@host/simple`) and from
//! `~/.netrc`. They are attached to requests for the same host and port and nowhere else, and
//! never printed or recorded (see [`crate::safe_url`]).

use std::collections::HashMap;

use url::Url;

/// A username and password for HTTP basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    /// The user name.
    pub(crate) username: String,
    /// The password or token.
    pub(crate) password: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(****)")
    }
}

/// Credentials by host, found in index URLs and netrc.
#[derive(Debug, Default, Clone)]
pub(crate) struct Credentials {
    by_origin: HashMap<(String, Option<u16>), Credential>,
    netrc: HashMap<String, Credential>,
    netrc_default: Option<Credential>,
}

impl Credentials {
    /// Remembers the credentials embedded in these URLs, and reads netrc text if given.
    pub(crate) fn new<'a>(urls: impl IntoIterator<Item = &'a Url>, netrc: Option<&str>) -> Self {
        let mut credentials = Self::default();
        for url in urls {
            if let Some(credential) = from_url(url) {
                credentials
                    .by_origin
                    .entry(origin(url))
                    .or_insert(credential);
            }
        }
        if let Some(text) = netrc {
            credentials.read_netrc(text);
        }
        credentials
    }

    /// The credential to use for a request to `url`: the URL's own, then an index URL's for
    /// the same host and port, then netrc's.
    pub(crate) fn for_url(&self, url: &Url) -> Option<Credential> {
        from_url(url)
            .or_else(|| self.by_origin.get(&origin(url)).cloned())
            .or_else(|| {
                let host = url.host_str()?;
                self.netrc
                    .get(host)
                    .cloned()
                    .or_else(|| self.netrc_default.clone())
            })
    }

    fn read_netrc(&mut self, text: &str) {
        let mut tokens = text.split_whitespace();
        // `Some(Some(host))` inside a `machine` entry, `Some(None)` inside `default`.
        let mut machine: Option<Option<String>> = None;
        let mut login = None;
        let mut password = None;
        while let Some(token) = tokens.next() {
            match token {
                "machine" | "default" => {
                    self.add_netrc_entry(machine.take(), login.take(), password.take());
                    machine = Some(if token == "machine" {
                        tokens.next().map(str::to_string)
                    } else {
                        None
                    });
                }
                "login" => login = tokens.next().map(str::to_string),
                "password" => password = tokens.next().map(str::to_string),
                "account" | "macdef" => {
                    tokens.next();
                }
                _ => {}
            }
        }
        self.add_netrc_entry(machine, login, password);
    }

    fn add_netrc_entry(
        &mut self,
        machine: Option<Option<String>>,
        login: Option<String>,
        password: Option<String>,
    ) {
        let (Some(machine), Some(username)) = (machine, login) else {
            return;
        };
        let credential = Credential { username, password };
        match machine {
            Some(host) => {
                self.netrc.entry(host).or_insert(credential);
            }
            None => self.netrc_default = Some(credential),
        }
    }
}

fn origin(url: &Url) -> (String, Option<u16>) {
    (
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default(),
    )
}

fn from_url(url: &Url) -> Option<Credential> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = crate::safe_url::percent_decode;
    Some(Credential {
        username: decode(url.username()),
        password: url.password().map(decode),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_credentials_follow_the_host_and_netrc_fills_in() {
        let index = Url::parse("https://alice:t%40k+n@private.example/simple/").unwrap();
        let credentials = Credentials::new(
            [&index],
            Some(
                "machine mirror.example login bob password hunter2\ndefault login anon password x\n",
            ),
        );
        let file = Url::parse("https://private.example/files/x.whl").unwrap();
        let found = credentials.for_url(&file).unwrap();
        assert_eq!(found.username, "alice");
        assert_eq!(found.password.as_deref(), Some("t@k+n"));
        let other_port = Url::parse("https://private.example:8443/x").unwrap();
        assert_eq!(credentials.for_url(&other_port).unwrap().username, "anon");
        let mirror = Url::parse("https://mirror.example/simple/").unwrap();
        assert_eq!(
            credentials.for_url(&mirror).unwrap().password.as_deref(),
            Some("hunter2")
        );
        assert_eq!(format!("{found:?}"), "Credential(****)");
    }
}
