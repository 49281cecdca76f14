//! Downloads that start as soon as they are known.
//!
//! `lock` and `check` list every project and then download what the listings name. Waiting for
//! the last listing before the first download leaves the connection idle while the slowest
//! listing arrives; here each project's downloads are queued the moment its listing is read,
//! and worker threads take them, the largest known file first (a large file started last keeps
//! every other thread idle while it finishes). A URL is downloaded once, with every digest any
//! entry asked of it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use url::Url;

use crate::cache::Cache;
use crate::fetch::{Examine, FetchError, FetchRequest, Fetched, fetch, fetch_examined};
use crate::hash::HashAlgorithm;
use crate::index::Client;
use crate::index::config::IndexSettings;
use crate::report::{Bar, Printer};

/// One download an entry wants: the URL, the digests to compute, and what to examine the
/// bytes for (nothing: only hash them).
#[derive(Debug, Clone)]
pub(crate) struct Want {
    /// Where from, and which digests besides sha256.
    pub(crate) request: FetchRequest,
    /// What to examine the bytes for once they are in.
    pub(crate) examine: Option<Examine>,
}

/// What every download came to, by URL.
pub(crate) type Downloaded = HashMap<Url, Result<Fetched, FetchError>>;

/// A download's outcome, and the sequence number of the dispatch it came from.
type Outcome = (u64, Result<Fetched, FetchError>);

/// Downloads this process has already made, each with what it was asked: a later run takes
/// such an outcome instead of downloading the URL again when it was asked at least as much
/// (`lock --resolve` downloads the input's own pins while the resolver runs). With them, the
/// client that made them, which remembers what it listed.
#[derive(Default)]
pub(crate) struct Earlier {
    done: HashMap<Url, (Want, Fetched)>,
    client: Option<ManuallyDrop<Client>>,
}

impl Earlier {
    /// The successful downloads among `downloaded`, with the `wants` they were made for
    /// (merged by URL, as the queue merges them; a failed download is tried again). A merged
    /// want asks at least what its download was made for, except when a stop dropped the
    /// download that asked more: one whose digests lack an algorithm its want names is left
    /// out.
    pub(crate) fn new(wants: Vec<Want>, mut downloaded: Downloaded) -> Self {
        let done = merged(wants)
            .into_iter()
            .filter_map(|want| {
                let fetched = downloaded.remove(&want.request.url)?.ok()?;
                let complete = want
                    .request
                    .algorithms
                    .iter()
                    .all(|algorithm| fetched.digests.get(*algorithm).is_some());
                complete.then(|| (want.request.url.clone(), (want, fetched)))
            })
            .collect();
        Self { done, client: None }
    }

    /// How many downloads there are to draw on.
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// The same, with the client that listed and downloaded them.
    pub(crate) fn with_client(mut self, client: ManuallyDrop<Client>) -> Self {
        self.client = Some(client);
        self
    }

    /// The client that made these downloads, for a command whose own would have `settings`
    /// (the same indexes and rules): it answers again what it listed.
    pub(crate) fn client_for(&self, settings: &IndexSettings) -> Option<&Client> {
        self.client
            .as_deref()
            .filter(|client| client.settings() == settings)
    }

    /// The earlier download of `want`'s URL, if it was asked everything `want` asks.
    fn settling(&self, want: &Want) -> Option<&(Want, Fetched)> {
        self.done
            .get(&want.request.url)
            .filter(|(earlier, _)| settles(earlier, want))
    }
}

/// A queue of downloads fed while it is worked on.
pub(crate) struct Downloads<'a> {
    client: &'a Client,
    cache: Option<&'a Cache>,
    earlier: &'a Earlier,
    /// Once set, what is still queued is dropped, not downloaded.
    stop: Option<&'a AtomicBool>,
    /// Threads for downloads from the network; fewer for local files and this machine.
    jobs: usize,
    queue: Mutex<Queue>,
    /// Signalled for the workers when work is queued, or the queue closes.
    changed: Condvar,
    /// Signalled for the thread that starts workers when work is queued, or the queue closes.
    more_work: Condvar,
    /// Every download's outcome, handed in by each worker as it stops.
    outcomes: Mutex<Vec<(Url, Outcome)>>,
    bar: Bar,
}

#[derive(Default)]
struct Queue {
    waiting: BinaryHeap<Queued>,
    /// What has been queued of each URL: a later want that asks for nothing more is not
    /// downloaded again.
    queued: HashMap<Url, Arc<Want>>,
    /// Whether more wants may still come.
    open: bool,
    running: usize,
    /// Workers waiting for a download.
    sleeping: usize,
    /// How many downloads may run at once, given where the queued bytes come from.
    limit: usize,
    dispatched: u64,
    /// The outcomes taken from [`Earlier`] downloads.
    settled: Vec<(Url, Outcome)>,
}

/// A queued download, ordered largest first (an unknown size counts as largest), then in the
/// order queued.
struct Queued {
    size: u64,
    sequence: u64,
    /// Shared with `queued`, and small to move while the heap sifts.
    want: Arc<Want>,
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.size, Reverse(self.sequence)).cmp(&(other.size, Reverse(other.sequence)))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Queued {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> Downloads<'a> {
    /// Runs `produce` with a queue it may feed, downloading what it queues on up to `jobs`
    /// threads as it goes (a URL `earlier` settles is not downloaded again; nothing more
    /// starts once `stop` is set); returns what `produce` returned and every download's
    /// outcome once the last one ends.
    pub(crate) fn run<R>(
        client: &'a Client,
        cache: Option<&'a Cache>,
        jobs: usize,
        printer: &Printer,
        earlier: &'a Earlier,
        stop: Option<&'a AtomicBool>,
        produce: impl FnOnce(&Self) -> R,
    ) -> (R, Downloaded) {
        let downloads = Self {
            client,
            cache,
            earlier,
            stop,
            jobs: jobs.max(1),
            queue: Mutex::new(Queue {
                open: true,
                ..Queue::default()
            }),
            changed: Condvar::new(),
            more_work: Condvar::new(),
            outcomes: Mutex::new(Vec::new()),
            bar: printer.download_bar(),
        };
        let produced = std::thread::scope(|scope| {
            // Workers are started as downloads are queued, not up front: a re-lock that
            // downloads nothing starts none (each thread costs its stack's mapping).
            scope.spawn(|| {
                let mut started = 0;
                while downloads.another_worker_needed(started) {
                    scope.spawn(|| downloads.work());
                    started += 1;
                }
            });
            // Closed however `produce` ends, or the threads would wait forever.
            let _close = CloseOnDrop(&downloads);
            produce(&downloads)
        });
        let settled = std::mem::take(&mut lock(&downloads.queue).settled);
        let mut results: HashMap<Url, Outcome> = HashMap::new();
        for (url, (sequence, result)) in downloads
            .outcomes
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .chain(settled)
        {
            // Of two downloads of one URL, the later asked for more.
            if results
                .get(&url)
                .is_none_or(|(earlier, _)| *earlier < sequence)
            {
                results.insert(url, (sequence, result));
            }
        }
        let results = results
            .into_iter()
            .map(|(url, (_, result))| (url, result))
            .collect();
        (produced, results)
    }

    /// Queues what is wanted; a URL already queued is queued again only when more is asked
    /// of it (another digest, an examination), and then for everything asked so far.
    pub(crate) fn add(&self, wants: impl IntoIterator<Item = Want>) {
        let mut added = 0;
        let sleeping;
        {
            let mut queue = lock(&self.queue);
            for want in merged(wants) {
                let url = want.request.url.clone();
                let merged = Arc::new(match queue.queued.get(&url) {
                    Some(queued) if covers(queued, &want) => continue,
                    Some(queued) => merge(Want::clone(queued), want),
                    None => match self.earlier.settling(&want) {
                        Some((earlier, fetched)) => {
                            // Counted as a dispatch, so that a later want asking more is
                            // downloaded and its outcome wins.
                            queue.dispatched += 1;
                            let outcome = (queue.dispatched, Ok(fetched.clone()));
                            queue.settled.push((url.clone(), outcome));
                            queue.queued.insert(url, Arc::new(earlier.clone()));
                            continue;
                        }
                        None => want,
                    },
                });
                let waits = self.client.loopback_waits();
                queue.limit = queue.limit.max(threads_for(&url, self.jobs, waits));
                queue.dispatched += 1;
                let sequence = queue.dispatched;
                let size = self.client.declared_size(&url).unwrap_or(u64::MAX);
                queue.queued.insert(url, Arc::clone(&merged));
                queue.waiting.push(Queued {
                    size,
                    sequence,
                    want: merged,
                });
                added += 1;
            }
            sleeping = queue.sleeping;
        }
        if added > 0 {
            self.bar.grow(added);
            // One sleeping worker per new download (a wake-up is a system call); the running
            // ones take more themselves, and the starter thread adds workers where none sleep.
            for _ in 0..added.min(sleeping) {
                self.changed.notify_one();
            }
            if added > sleeping {
                self.more_work.notify_one();
            }
        }
    }

    /// Tells the progress bar how the listings are going; `false` when there is no bar to
    /// tell, so that the caller draws its own progress line.
    pub(crate) fn note_listing(&self, done: usize, total: usize) -> bool {
        let text = if done < total {
            format!(" · listed {done}/{total} projects")
        } else {
            String::new()
        };
        self.bar.note(&text)
    }

    fn close(&self) {
        lock(&self.queue).open = false;
        self.changed.notify_all();
        self.more_work.notify_all();
    }

    /// Waits until one more worker than the `started` ones is needed (`true`), or until no
    /// more ever will be (`false`): while fewer than the limit run, a queued download that no
    /// idle worker will take needs one.
    fn another_worker_needed(&self, started: usize) -> bool {
        let mut queue = lock(&self.queue);
        loop {
            let idle = started - queue.running;
            if started < queue.limit && queue.waiting.len() > idle {
                return true;
            }
            if !queue.open {
                return false;
            }
            queue = self
                .more_work
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// One worker: takes the next download while there is one, or may yet be one.
    fn work(&self) {
        // Kept here and handed in once, when the worker stops: the queue's lock is held only
        // to take the next download.
        let mut outcomes: Vec<(Url, Outcome)> = Vec::new();
        let mut finished = false;
        loop {
            let next = {
                let mut queue = lock(&self.queue);
                if std::mem::take(&mut finished) {
                    queue.running -= 1;
                }
                loop {
                    if queue.running < queue.limit
                        && let Some(next) = queue.waiting.pop()
                    {
                        queue.running += 1;
                        break Some(next);
                    }
                    if !queue.open && queue.waiting.is_empty() {
                        // Nothing more will come: the workers still waiting may stop too.
                        self.changed.notify_all();
                        break None;
                    }
                    queue.sleeping += 1;
                    queue = self
                        .changed
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                    queue.sleeping -= 1;
                }
            };
            let Some(Queued { sequence, want, .. }) = next else {
                lock(&self.outcomes).extend(outcomes);
                return;
            };
            finished = true;
            if self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                continue;
            }
            let result = match &want.examine {
                Some(examine) => fetch_examined(self.client, self.cache, &want.request, examine),
                None => fetch(self.client, self.cache, &want.request),
            };
            self.bar.inc();
            outcomes.push((want.request.url.clone(), (sequence, result)));
        }
    }
}

struct CloseOnDrop<'d, 'a>(&'d Downloads<'a>);

impl Drop for CloseOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// How many downloads from `url` may run at once: no more than the cores for local files,
/// where threads only compete for the CPU; two per core for an index on this machine that
/// answers at once, where a transfer costs CPU, not waiting (on 2 cores, 4 threads locked the
/// benchmark corpus from a loopback index about 15% faster than 32); `jobs` for the network,
/// and for an index on this machine that `waits` before it answers (a proxy in front of a
/// distant index: with 20 ms per answer, 4 threads took 3× as long as curl's 16).
fn threads_for(url: &Url, jobs: usize, waits: bool) -> usize {
    let cores = crate::pool::cores();
    if url.scheme() == "file" {
        jobs.min(cores)
    } else if crate::fetch::is_loopback(url) && !waits {
        jobs.min(2 * cores)
    } else {
        jobs
    }
}

/// Whether what was queued already asks for everything `want` asks.
fn covers(queued: &Want, want: &Want) -> bool {
    let digests = asks_every_digest_of(queued, want);
    let examined = match (&queued.examine, &want.examine) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(queued), Some(wanted)) => {
            (!queued.only_explains || wanted.only_explains)
                && wanted
                    .recorded
                    .iter()
                    .all(|hash| queued.recorded.contains(hash))
        }
    };
    digests && examined
}

/// Whether a finished download made for `earlier` tells everything `want` asks: every digest,
/// and an examination at least as thorough (of the same listed name, skipped for no bytes
/// `want` would examine, and no shallower for a digest the index declares).
fn settles(earlier: &Want, want: &Want) -> bool {
    let digests = asks_every_digest_of(earlier, want);
    let examined = match (&earlier.examine, &want.examine) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(earlier), Some(wanted)) => {
            earlier.filename == wanted.filename
                && (!earlier.only_explains || wanted.only_explains)
                && earlier
                    .recorded
                    .iter()
                    .all(|hash| wanted.recorded.contains(hash))
                && earlier
                    .declared
                    .iter()
                    .all(|digest| wanted.declared.contains(digest))
        }
    };
    digests && examined
}

/// Whether `have` asks for every digest `want` asks for.
fn asks_every_digest_of(have: &Want, want: &Want) -> bool {
    want.request
        .algorithms
        .iter()
        .all(|algorithm| have.request.algorithms.contains(algorithm))
}

/// One want asking for everything two ask.
fn merge(mut into: Want, want: Want) -> Want {
    into.request.algorithms.extend(want.request.algorithms);
    into.request.algorithms.sort();
    into.request.algorithms.dedup();
    into.examine = match (into.examine, want.examine) {
        (Some(mut into), Some(want)) => {
            into.recorded.extend(want.recorded);
            into.recorded.sort();
            into.recorded.dedup();
            into.declared.extend(want.declared);
            into.declared.sort();
            into.declared.dedup();
            into.only_explains &= want.only_explains;
            Some(into)
        }
        (into, want) => into.or(want),
    };
    into
}

/// Merges wants of the same URL into one, keeping the order each URL first appeared in.
fn merged(wants: impl IntoIterator<Item = Want>) -> Vec<Want> {
    let wants: Vec<Want> = wants.into_iter().collect();
    // Where each want goes: the position of the first want of its URL among those kept.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(wants.len());
    let targets: Vec<usize> = wants
        .iter()
        .map(|want| {
            let kept = first.len();
            *first.entry(want.request.url.as_str()).or_insert(kept)
        })
        .collect();
    let kept = first.len();
    drop(first);
    let mut out: Vec<Option<Want>> = (0..kept).map(|_| None).collect();
    for (want, target) in wants.into_iter().zip(targets) {
        out[target] = Some(match out[target].take() {
            Some(earlier) => merge(earlier, want),
            None => want,
        });
    }
    out.into_iter().flatten().collect()
}

/// A want of `url` with sha256 and `algorithms`.
pub(crate) fn want(url: &Url, algorithms: &[HashAlgorithm], examine: Option<Examine>) -> Want {
    let mut algorithms = algorithms.to_vec();
    algorithms.sort();
    algorithms.dedup();
    Want {
        request: FetchRequest {
            url: url.clone(),
            algorithms,
        },
        examine,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::hash::HashDigest;
    use crate::index::config::{DEFAULT_MAX_ARTIFACT_SIZE, IndexSettings};

    fn client() -> Client {
        let settings = IndexSettings {
            indexes: Vec::new(),
            find_links: Vec::new(),
            trusted_hosts: Vec::new(),
            cert: None,
            timeout: Duration::from_secs(10),
            retries: 0,
            max_artifact_size: DEFAULT_MAX_ARTIFACT_SIZE,
        };
        Client::new(settings, None, Duration::from_millis(1)).unwrap()
    }

    fn examine(filename: &str, only_explains: bool) -> Option<Examine> {
        Some(Examine {
            filename: filename.to_string(),
            recorded: Vec::new(),
            declared: Vec::new(),
            only_explains,
        })
    }

    #[test]
    fn threads_follow_where_the_bytes_come_from() {
        let url = |text: &str| Url::parse(text).unwrap();
        let cores = crate::pool::cores();
        assert_eq!(
            threads_for(&url("file:///w/a.whl"), 32, false),
            32.min(cores)
        );
        assert_eq!(
            threads_for(&url("http://127.0.0.1:8000/f/a.whl"), 32, false),
            32.min(2 * cores)
        );
        assert_eq!(
            threads_for(&url("http://localhost/b.whl"), 32, false),
            32.min(2 * cores)
        );
        // A proxy on this machine that waits on a distant index is the network.
        assert_eq!(
            threads_for(&url("http://127.0.0.1:8000/f/a.whl"), 32, true),
            32
        );
        assert_eq!(
            threads_for(&url("https://files.example/b.whl"), 32, false),
            32
        );
        assert_eq!(threads_for(&url("http://127.0.0.1/a.whl"), 1, false), 1);
    }

    #[test]
    fn a_want_is_covered_only_when_nothing_more_is_asked() {
        let url = Url::parse("https://files.example/a-1.0.tar.gz").unwrap();
        let sha256 = want(&url, &[], examine("a-1.0.tar.gz", true));
        let sha512 = want(&url, &[HashAlgorithm::Sha512], None);
        assert!(covers(&sha256, &want(&url, &[], None)));
        assert!(!covers(&sha256, &sha512));
        // An examination the first download may skip does not cover one it must do.
        assert!(!covers(
            &sha256,
            &want(&url, &[], examine("a-1.0.tar.gz", false))
        ));
        let both = merge(sha256.clone(), sha512.clone());
        assert!(covers(&both, &sha256) && covers(&both, &sha512));
        assert_eq!(both.request.algorithms, [HashAlgorithm::Sha512]);
        assert_eq!(merged([sha256.clone(), sha512]).len(), 1);
    }

    /// Wants queued from two threads while downloads already run: every URL downloaded
    /// once, with every digest asked of it, even when the second want came after the first
    /// download began.
    #[test]
    fn downloads_run_while_they_are_queued() {
        let directory = tempfile::tempdir().unwrap();
        let urls: Vec<Url> = (0..12)
            .map(|n| {
                let path = directory.path().join(format!("p{n}-1.0.tar.gz"));
                fs_err::write(&path, vec![n as u8; 1000 * (n + 1)]).unwrap();
                Url::from_file_path(&path).unwrap()
            })
            .collect();
        let client = client();
        let printer = Printer::new(crate::report::ColorChoice::Never, true, &|_| None);
        let (produced, downloaded) = Downloads::run(
            &client,
            None,
            4,
            &printer,
            &Earlier::default(),
            None,
            |downloads| {
                std::thread::scope(|scope| {
                    for half in urls.chunks(6) {
                        scope.spawn(|| {
                            downloads.add(half.iter().map(|url| want(url, &[], None)));
                        });
                    }
                });
                // Asked again: once for nothing new, once for another digest.
                downloads.add([want(&urls[0], &[], None)]);
                downloads.add([want(&urls[1], &[HashAlgorithm::Sha512], None)]);
                "listed"
            },
        );
        assert_eq!(produced, "listed");
        assert_eq!(downloaded.len(), 12);
        for (n, url) in urls.iter().enumerate() {
            let fetched = downloaded[url].as_ref().unwrap();
            assert_eq!(fetched.digests.size, 1000 * (n as u64 + 1));
            assert_eq!(
                fetched.digests.get(HashAlgorithm::Sha512).is_some(),
                n == 1,
                "{url}"
            );
        }
    }

    #[test]
    fn an_earlier_download_settles_only_a_want_that_asks_no_more() {
        let url = Url::parse("https://files.example/a-1.0.tar.gz").unwrap();
        let hash = |digit: char| {
            HashDigest::new(HashAlgorithm::Sha256, &digit.to_string().repeat(64)).unwrap()
        };
        let with = |recorded: Vec<HashDigest>, declared: Vec<HashDigest>, only_explains| {
            let mut examine = examine("a-1.0.tar.gz", only_explains).unwrap();
            examine.recorded = recorded;
            examine.declared = declared;
            want(&url, &[], Some(examine))
        };
        let whole = with(Vec::new(), Vec::new(), false);
        assert!(settles(&whole, &want(&url, &[], None)));
        assert!(settles(
            &whole,
            &with(vec![hash('1')], vec![hash('2')], true)
        ));
        assert!(!settles(
            &whole,
            &want(&url, &[HashAlgorithm::Sha512], None)
        ));
        assert!(!settles(&want(&url, &[], None), &whole));
        // Skipped for bytes with a record the later want does not have.
        assert!(!settles(&with(vec![hash('1')], Vec::new(), false), &whole));
        // Shallower, for bytes with a digest the later listing does not declare.
        assert!(!settles(&with(Vec::new(), vec![hash('2')], false), &whole));
        // Examined only to explain a refusal, where the later want may record.
        assert!(!settles(&with(Vec::new(), Vec::new(), true), &whole));
        let mut elsewhere = whole.clone();
        elsewhere.examine.as_mut().unwrap().filename = "a-1.0-py3-none-any.whl".to_string();
        assert!(!settles(&elsewhere, &whole));
    }

    /// A later run takes an earlier download that settles a want instead of downloading it
    /// again (the file changed on disk in between, and the earlier bytes are what it gets), and
    /// downloads one that asks more.
    #[test]
    fn a_later_run_takes_earlier_downloads() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a-1.0.tar.gz");
        fs_err::write(&path, b"first").unwrap();
        let url = Url::from_file_path(&path).unwrap();
        let client = client();
        let printer = Printer::new(crate::report::ColorChoice::Never, true, &|_| None);
        let none = Earlier::default();
        let first_want = want(&url, &[], None);
        let (_, first) = Downloads::run(&client, None, 2, &printer, &none, None, |downloads| {
            downloads.add([first_want.clone()]);
        });
        let earlier = Earlier::new(vec![first_want.clone()], first);
        assert_eq!(earlier.len(), 1);
        // A want asking a digest the download never computed (its re-download was dropped)
        // is not an earlier download at all.
        let (_, once) = Downloads::run(&client, None, 2, &printer, &none, None, |downloads| {
            downloads.add([first_want.clone()]);
        });
        let asked_more = want(&url, &[HashAlgorithm::Sha512], None);
        assert_eq!(
            Earlier::new(vec![first_want.clone(), asked_more], once).len(),
            0
        );
        fs_err::write(&path, b"second, longer").unwrap();
        let size = |downloaded: &Downloaded| downloaded[&url].as_ref().unwrap().digests.size;
        let (_, again) = Downloads::run(&client, None, 2, &printer, &earlier, None, |downloads| {
            downloads.add([first_want.clone()]);
        });
        assert_eq!(size(&again), 5);
        let (_, more) = Downloads::run(&client, None, 2, &printer, &earlier, None, |downloads| {
            downloads.add([first_want.clone()]);
            downloads.add([want(&url, &[HashAlgorithm::Sha512], None)]);
        });
        assert_eq!(size(&more), 14);
        assert!(
            more[&url]
                .as_ref()
                .unwrap()
                .digests
                .get(HashAlgorithm::Sha512)
                .is_some()
        );
    }

    /// The client of earlier work serves a later command only if that command would have
    /// built one with the same settings.
    #[test]
    fn the_earlier_client_serves_only_the_same_settings() {
        let earlier = Earlier::default().with_client(ManuallyDrop::new(client()));
        let mut settings = client().settings().clone();
        assert!(earlier.client_for(&settings).is_some());
        settings.timeout = Duration::from_secs(11);
        assert!(earlier.client_for(&settings).is_none());
        assert!(Earlier::default().client_for(&settings).is_none());
    }

    #[test]
    fn nothing_queued_is_downloaded_once_stopped() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a-1.0.tar.gz");
        fs_err::write(&path, b"bytes").unwrap();
        let url = Url::from_file_path(&path).unwrap();
        let client = client();
        let printer = Printer::new(crate::report::ColorChoice::Never, true, &|_| None);
        let stop = AtomicBool::new(true);
        let none = Earlier::default();
        let (_, downloaded) = Downloads::run(
            &client,
            None,
            2,
            &printer,
            &none,
            Some(&stop),
            |downloads| {
                downloads.add([want(&url, &[], None)]);
            },
        );
        assert!(downloaded.is_empty(), "{downloaded:?}");
    }

    #[test]
    fn a_producer_that_panics_does_not_leave_workers_waiting() {
        let client = client();
        let printer = Printer::new(crate::report::ColorChoice::Never, true, &|_| None);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Downloads::run(
                &client,
                None,
                2,
                &printer,
                &Earlier::default(),
                None,
                |_| panic!("listing failed"),
            )
        }));
        assert!(outcome.is_err());
    }
}
