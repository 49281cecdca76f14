//! Name resolution for the index client: the system's resolver (`getaddrinfo`, what reqwest
//! and pip use), with two changes that make a run's time the network's.
//!
//! - A host is asked once for many connections: the answer is shared by every connection
//!   opened within [`REMEMBER_FOR`], and by those waiting while it is asked. Fifty downloads
//!   starting at once against one host asked fifty times.
//! - A question that has had no answer within [`ASK_AGAIN_AFTER`] is asked again beside the
//!   first, and the first answer wins. A resolver that drops a reply (the machine hashpin is
//!   measured on drops about one in thirty) otherwise leaves glibc waiting its 5 s timeout
//!   before it asks again: a 0.1 s lock took 5.1 s.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long an answer is used for new connections (DNS answers live for minutes; `hashpin
/// serve` runs for hours and must see a host move).
const REMEMBER_FOR: Duration = Duration::from_secs(60);

/// How long a question waits before it is asked again beside the first. Resolvers answer in
/// milliseconds; a second question after this long costs one more packet.
const ASK_AGAIN_AFTER: Duration = Duration::from_millis(500);

/// Looks one host up, blocking: `getaddrinfo` in hashpin, a stand-in in tests.
type Lookup = fn(&str) -> std::io::Result<Vec<SocketAddr>>;

/// One host's answer, asked once by whoever comes first and shared with every connection
/// waiting for it, a failure included (each would otherwise ask again in turn, and wait as
/// long); the next connection after a failure asks again.
type Answer = Arc<tokio::sync::OnceCell<(Instant, Result<Vec<SocketAddr>, Arc<std::io::Error>>)>>;

/// The resolver handed to reqwest.
pub(crate) struct Resolver {
    lookup: Lookup,
    ask_again_after: Duration,
    answers: Mutex<HashMap<String, Answer>>,
}

impl Resolver {
    /// The system's resolver.
    pub(crate) fn system() -> Self {
        Self::with_lookup(system_lookup, ASK_AGAIN_AFTER)
    }

    fn with_lookup(lookup: Lookup, ask_again_after: Duration) -> Self {
        Self {
            lookup,
            ask_again_after,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// The cell holding `host`'s answer: the current one, or a fresh one in place of a failure
    /// or of an answer older than [`REMEMBER_FOR`] (which are forgotten for every host, so that
    /// a long `hashpin serve` keeps only what it still uses).
    fn answer_for(&self, host: &str) -> Answer {
        let stale = |answer: &Answer| {
            answer
                .get()
                .is_some_and(|(asked, result)| result.is_err() || asked.elapsed() >= REMEMBER_FOR)
        };
        let mut answers = self
            .answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        answers.retain(|_, answer| !stale(answer));
        Arc::clone(answers.entry(host.to_string()).or_default())
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let answer = self.answer_for(&host);
        let (lookup, ask_again_after) = (self.lookup, self.ask_again_after);
        Box::pin(async move {
            let (_, result) = answer
                .get_or_init(|| async {
                    let (sender, receiver) = tokio::sync::oneshot::channel();
                    let asked = std::thread::Builder::new()
                        .name("hashpin-dns".to_string())
                        .spawn(move || {
                            let _ = sender.send(race(&host, lookup, ask_again_after));
                        });
                    let result = match asked {
                        Ok(_) => receiver.await.unwrap_or_else(|_| {
                            Err(std::io::Error::other("the name lookup stopped"))
                        }),
                        Err(error) => Err(error),
                    };
                    (Instant::now(), result.map_err(Arc::new))
                })
                .await;
            match result {
                Ok(addresses) => Ok(Box::new(addresses.clone().into_iter()) as Addrs),
                Err(error) => Err(Box::new(SharedError(Arc::clone(error))) as _),
            }
        })
    }
}

/// A lookup's failure, as every connection that waited for it reports it.
#[derive(Debug)]
struct SharedError(Arc<std::io::Error>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Looks `host` up, and again beside the first question once it has waited `ask_again_after`:
/// the first success wins; an error only when every question asked has failed. A question
/// still out when the answer is taken is left to end on its own thread (`getaddrinfo` cannot
/// be cancelled; glibc gives up within its timeout).
fn race(host: &str, lookup: Lookup, ask_again_after: Duration) -> std::io::Result<Vec<SocketAddr>> {
    let (sender, receiver) = mpsc::channel();
    let ask = |sender: mpsc::Sender<_>| {
        let host = host.to_string();
        std::thread::Builder::new()
            .name("hashpin-dns".to_string())
            .spawn(move || {
                let _ = sender.send(lookup(&host));
            })
    };
    ask(sender.clone())?;
    let mut asked = 1;
    let first = match receiver.recv_timeout(ask_again_after) {
        Ok(result) => Some(result),
        Err(_) => {
            if ask(sender).is_ok() {
                asked += 1;
            }
            None
        }
    };
    let mut failure = None;
    for result in first.into_iter().chain(receiver.iter()).take(asked) {
        match result {
            Ok(addresses) => return Ok(addresses),
            Err(error) => failure = Some(failure.unwrap_or(error)),
        }
    }
    Err(failure.unwrap_or_else(|| std::io::Error::other("the name lookup stopped")))
}

/// `getaddrinfo`, through the standard library; the port is the URL's, set by reqwest.
fn system_lookup(host: &str) -> std::io::Result<Vec<SocketAddr>> {
    Ok((host, 0).to_socket_addrs()?.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn resolve(resolver: &Resolver, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(resolver.resolve(host.parse().unwrap()))
            .map(Iterator::collect)
            .map_err(|error| std::io::Error::other(error.to_string()))
    }

    /// `host` resolved by `connections` threads at once, as parallel downloads do.
    fn resolve_at_once(
        resolver: &Arc<Resolver>,
        host: &'static str,
        connections: usize,
    ) -> Vec<std::io::Result<Vec<SocketAddr>>> {
        let threads: Vec<_> = (0..connections)
            .map(|_| {
                let resolver = Arc::clone(resolver);
                std::thread::spawn(move || resolve(&resolver, host))
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect()
    }

    fn address(last: u8) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, last], 0))
    }

    #[test]
    fn a_question_left_unanswered_is_asked_again_and_the_first_answer_wins() {
        static ASKED: AtomicUsize = AtomicUsize::new(0);
        fn lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
            if ASKED.fetch_add(1, Ordering::SeqCst) == 0 {
                // The reply that was dropped: glibc would wait its timeout.
                std::thread::sleep(Duration::from_secs(30));
            }
            Ok(vec![address(2)])
        }
        let resolver = Resolver::with_lookup(lookup, Duration::from_millis(20));
        let started = Instant::now();
        assert_eq!(resolve(&resolver, "index.example").unwrap(), [address(2)]);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(ASKED.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_host_is_asked_once_for_many_connections_and_a_failure_is_not_kept() {
        static ASKED: AtomicUsize = AtomicUsize::new(0);
        fn lookup(host: &str) -> std::io::Result<Vec<SocketAddr>> {
            ASKED.fetch_add(1, Ordering::SeqCst);
            match host {
                "missing.example" => Err(std::io::Error::other("no such host")),
                _ => Ok(vec![address(1)]),
            }
        }
        let resolver = Arc::new(Resolver::with_lookup(lookup, Duration::from_secs(5)));
        for answer in resolve_at_once(&resolver, "files.example", 8) {
            assert_eq!(answer.unwrap(), [address(1)]);
        }
        assert_eq!(
            ASKED.load(Ordering::SeqCst),
            1,
            "one question for eight connections"
        );

        assert!(resolve(&resolver, "missing.example").is_err());
        assert!(resolve(&resolver, "missing.example").is_err());
        assert_eq!(ASKED.load(Ordering::SeqCst), 3, "a failure is asked again");
    }

    #[test]
    fn a_failure_is_shared_by_the_connections_waiting_for_it() {
        static ASKED: AtomicUsize = AtomicUsize::new(0);
        fn lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
            ASKED.fetch_add(1, Ordering::SeqCst);
            // Long enough for all eight to be waiting on it.
            std::thread::sleep(Duration::from_secs(1));
            Err(std::io::Error::other("no such host"))
        }
        let resolver = Arc::new(Resolver::with_lookup(lookup, Duration::from_secs(5)));
        for answer in resolve_at_once(&resolver, "gone.example", 8) {
            assert!(answer.unwrap_err().to_string().contains("no such host"));
        }
        assert_eq!(
            ASKED.load(Ordering::SeqCst),
            1,
            "asked once, not once per connection"
        );
    }

    #[test]
    fn an_error_waits_for_the_question_still_out() {
        static ASKED: AtomicUsize = AtomicUsize::new(0);
        fn lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
            match ASKED.fetch_add(1, Ordering::SeqCst) {
                0 => {
                    std::thread::sleep(Duration::from_millis(100));
                    Err(std::io::Error::other("timed out"))
                }
                _ => {
                    std::thread::sleep(Duration::from_millis(300));
                    Ok(vec![address(3)])
                }
            }
        }
        let resolver = Resolver::with_lookup(lookup, Duration::from_millis(20));
        assert_eq!(resolve(&resolver, "slow.example").unwrap(), [address(3)]);
    }
}
