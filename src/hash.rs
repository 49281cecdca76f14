//! Hash algorithms, digests and streaming hashers.
//!
//! A [`HashDigest`] is what pip writes after `--hash=`: `sha256:<hex>`. Only the algorithms pip
//! accepts as pins (`sha256`, `sha384`, `sha512`) can be parsed from a requirements file; md5 and
//! sha1 are refused outright. `blake2b-256`, `md5` and `sha1` exist only to check what an index
//! declares (PEP 503 allows an `#md5=` fragment, and pip refuses a file that does not match
//! it): they are computed for that comparison and never recorded.
//!
//! Non-goal: hashing in parallel within one file. One file is hashed by one thread, in a single
//! pass over its bytes; parallelism comes from hashing several files at once.

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

use base64::Engine as _;
use blake2::Blake2b;
use blake2::digest::consts::U32;
use sha2::Digest as _;

/// A hash algorithm hashpin can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum HashAlgorithm {
    /// SHA-256, the default and what every index declares.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// BLAKE2b with a 256-bit digest, as PyPI's JSON API declares it; never a pin.
    Blake2b256,
    /// MD5, as old indexes declare it in `#md5=` fragments and PyPI's JSON API in `md5`; broken
    /// for collisions, so only ever compared with a declaration, never a pin.
    Md5,
    /// SHA-1, which PEP 503 allows a fragment to name; only ever compared, never a pin.
    Sha1,
}

impl HashAlgorithm {
    /// The algorithms pip accepts after `--hash=`.
    pub(crate) const PINNABLE: [HashAlgorithm; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    /// The name used in `--hash=<name>:<hex>` and in index listings.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Blake2b256 => "blake2b_256",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
        }
    }

    /// Length of the hex digest.
    pub(crate) fn hex_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Blake2b256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
            Self::Md5 => 32,
            Self::Sha1 => 40,
        }
    }

    /// Whether pip accepts this algorithm in `--hash=`.
    pub(crate) fn is_pinnable(self) -> bool {
        Self::PINNABLE.contains(&self)
    }

    /// Looks an algorithm up by the name an index or a user gives it.
    ///
    /// Accepts `blake2b_256` and `blake2b-256` (PyPI's JSON API uses the former); `None` for
    /// anything hashpin does not compute (sha224, sha3_256, ...). Whether a user may pin it is
    /// [`HashAlgorithm::is_pinnable`]'s question.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            "blake2b_256" | "blake2b-256" => Some(Self::Blake2b256),
            "md5" => Some(Self::Md5),
            "sha1" => Some(Self::Sha1),
            _ => None,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a `--hash` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HashError {
    /// The value has no `:` between algorithm and digest.
    #[error("expected `<algorithm>:<hex digest>`, found `{0}`")]
    MissingSeparator(String),
    /// An algorithm pip would refuse, or one that is too weak to pin.
    #[error("unsupported hash algorithm `{0}` (expected `sha256`, `sha384` or `sha512`)")]
    UnsupportedAlgorithm(String),
    /// Upper case where pip compares lower case, so pip would refuse every file.
    #[error("`{0}` must be written in lower case: pip compares it as written")]
    NotLowercase(String),
    /// The digest is not hex, or not as long as the algorithm's.
    #[error("`{algorithm}` digest must be {expected} hex characters, found `{digest}`")]
    BadDigest {
        /// The algorithm named before the colon.
        algorithm: HashAlgorithm,
        /// The expected number of hex characters.
        expected: usize,
        /// What was found.
        digest: String,
    },
}

/// An algorithm and a lowercase hex digest: `sha256:<hex>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct HashDigest {
    /// The algorithm.
    pub(crate) algorithm: HashAlgorithm,
    /// The digest, lowercase hex.
    pub(crate) hex: String,
}

impl HashDigest {
    /// Builds a digest from an algorithm and a hex string, checking its length and alphabet.
    pub(crate) fn new(algorithm: HashAlgorithm, hex: &str) -> Result<Self, HashError> {
        if hex.len() != algorithm.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HashError::BadDigest {
                algorithm,
                expected: algorithm.hex_len(),
                digest: hex.to_string(),
            });
        }
        Ok(Self {
            algorithm,
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// Reads a peep comment's digest: sha256, urlsafe base64 without padding.
    pub(crate) fn from_peep_base64(encoded: &str) -> Option<Self> {
        Self::from_urlsafe_base64(HashAlgorithm::Sha256, encoded)
    }

    /// A digest written in urlsafe base64, padded or not (peep's comments, a wheel's
    /// `RECORD`); `None` unless it decodes to the algorithm's length.
    pub(crate) fn from_urlsafe_base64(algorithm: HashAlgorithm, encoded: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .ok()?;
        Self::new(algorithm, &hex::encode(bytes)).ok()
    }

    /// A short form for reports: `sha256:1a2b3c4d…`.
    pub(crate) fn short(&self) -> String {
        format!(
            "{}:{}…",
            self.algorithm,
            &self.hex[..12.min(self.hex.len())]
        )
    }
}

impl FromStr for HashDigest {
    type Err = HashError;

    /// Parses a pin as written after `--hash=`: only pip's algorithms, in lower case, as pip
    /// requires (it refuses `SHA256:` and never matches an upper-case digest).
    fn from_str(value: &str) -> Result<Self, HashError> {
        let (name, hex) = value
            .split_once(':')
            .ok_or_else(|| HashError::MissingSeparator(value.to_string()))?;
        if name.bytes().any(|b| b.is_ascii_uppercase())
            && HashAlgorithm::from_name(name).is_some_and(HashAlgorithm::is_pinnable)
        {
            return Err(HashError::NotLowercase(name.to_string()));
        }
        if hex.bytes().any(|b| b.is_ascii_uppercase()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(HashError::NotLowercase(hex.to_string()));
        }
        let algorithm = HashAlgorithm::from_name(name)
            .filter(|algorithm| algorithm.is_pinnable())
            .ok_or_else(|| HashError::UnsupportedAlgorithm(name.to_string()))?;
        Self::new(algorithm, hex)
    }
}

impl fmt::Display for HashDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

enum State {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Blake2b256(Blake2b<U32>),
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
}

impl State {
    fn new(algorithm: HashAlgorithm) -> Self {
        match algorithm {
            HashAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha384 => Self::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
            HashAlgorithm::Blake2b256 => Self::Blake2b256(Blake2b::<U32>::new()),
            HashAlgorithm::Md5 => Self::Md5(md5::Md5::new()),
            HashAlgorithm::Sha1 => Self::Sha1(sha1::Sha1::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(state) => state.update(bytes),
            Self::Sha384(state) => state.update(bytes),
            Self::Sha512(state) => state.update(bytes),
            Self::Blake2b256(state) => state.update(bytes),
            Self::Md5(state) => state.update(bytes),
            Self::Sha1(state) => state.update(bytes),
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Sha256(state) => hex::encode(state.finalize()),
            Self::Sha384(state) => hex::encode(state.finalize()),
            Self::Sha512(state) => hex::encode(state.finalize()),
            Self::Blake2b256(state) => hex::encode(state.finalize()),
            Self::Md5(state) => hex::encode(state.finalize()),
            Self::Sha1(state) => hex::encode(state.finalize()),
        }
    }
}

/// Computes several digests of one stream in a single pass.
pub(crate) struct Hasher {
    states: Vec<(HashAlgorithm, State)>,
    size: u64,
}

impl Hasher {
    /// A hasher for exactly the given algorithms.
    pub(crate) fn new(algorithms: impl IntoIterator<Item = HashAlgorithm>) -> Self {
        let mut wanted: Vec<HashAlgorithm> = algorithms.into_iter().collect();
        wanted.sort();
        wanted.dedup();
        Self {
            states: wanted
                .into_iter()
                .map(|algorithm| (algorithm, State::new(algorithm)))
                .collect(),
            size: 0,
        }
    }

    /// Feeds bytes to every algorithm.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        for (_, state) in &mut self.states {
            state.update(bytes);
        }
    }

    /// Finishes every algorithm.
    pub(crate) fn finish(self) -> Digests {
        Digests {
            size: self.size,
            digests: self
                .states
                .into_iter()
                .map(|(algorithm, state)| HashDigest {
                    algorithm,
                    hex: state.finish(),
                })
                .collect(),
        }
    }

    /// Hashes everything a reader yields, with a fixed 64 KiB buffer (constant memory).
    pub(crate) fn hash_reader(mut self, reader: &mut impl Read) -> io::Result<Digests> {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => return Ok(self.finish()),
                Ok(n) => self.update(&buffer[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}

/// The digests of one artifact's bytes, and how many bytes there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Digests {
    /// Number of bytes hashed.
    pub(crate) size: u64,
    /// One digest per algorithm computed, sorted by algorithm.
    pub(crate) digests: Vec<HashDigest>,
}

impl Digests {
    /// The digest for an algorithm, if it was computed.
    pub(crate) fn get(&self, algorithm: HashAlgorithm) -> Option<&HashDigest> {
        self.digests
            .iter()
            .find(|digest| digest.algorithm == algorithm)
    }

    /// The sha256 digest, for digests computed with sha256 among their algorithms (every
    /// download is: the cache and the reports key artifacts by it).
    pub(crate) fn sha256(&self) -> &HashDigest {
        self.get(HashAlgorithm::Sha256)
            .expect("downloads always compute sha256")
    }
}

/// The digests of the file at `path` in `algorithms`, read once.
pub(crate) fn hash_file(
    path: &std::path::Path,
    algorithms: impl IntoIterator<Item = HashAlgorithm>,
) -> std::io::Result<Digests> {
    let mut file = fs_err::File::open(path)?;
    Hasher::new(algorithms).hash_reader(&mut file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let mut hasher = Hasher::new([
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
            HashAlgorithm::Blake2b256,
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
        ]);
        hasher.update(b"abc");
        let digests = hasher.finish();
        assert_eq!(digests.size, 3);
        assert_eq!(
            digests.sha256().hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            digests.get(HashAlgorithm::Blake2b256).unwrap().hex,
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
        assert!(
            digests
                .get(HashAlgorithm::Sha512)
                .unwrap()
                .hex
                .starts_with("ddaf35a1")
        );
        // RFC 1321 and FIPS 180-1 test vectors.
        assert_eq!(
            digests.get(HashAlgorithm::Md5).unwrap().hex,
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            digests.get(HashAlgorithm::Sha1).unwrap().hex,
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn parses_pins_and_refuses_weak_algorithms() {
        let pin: HashDigest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(pin.to_string(), format!("sha256:{}", "ab".repeat(32)));
        assert!(matches!(
            format!("SHA256:{}", "ab".repeat(32)).parse::<HashDigest>(),
            Err(HashError::NotLowercase(_))
        ));
        assert!(matches!(
            format!("sha256:{}", "AB".repeat(32)).parse::<HashDigest>(),
            Err(HashError::NotLowercase(_))
        ));
        assert_eq!(
            "md5:d41d8cd98f00b204e9800998ecf8427e".parse::<HashDigest>(),
            Err(HashError::UnsupportedAlgorithm("md5".into()))
        );
        // Computed to compare with an index, but never a pin, in any spelling.
        assert_eq!(
            "MD5:d41d8cd98f00b204e9800998ecf8427e".parse::<HashDigest>(),
            Err(HashError::UnsupportedAlgorithm("MD5".into()))
        );
        assert!(!HashAlgorithm::Md5.is_pinnable() && !HashAlgorithm::Sha1.is_pinnable());
        assert!(
            "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"
                .parse::<HashDigest>()
                .is_err()
        );
        assert!("blake2b_256:00".parse::<HashDigest>().is_err());
        assert!(matches!(
            "sha256:abc".parse::<HashDigest>(),
            Err(HashError::BadDigest { expected: 64, .. })
        ));
        assert!(matches!(
            "sha256".parse::<HashDigest>(),
            Err(HashError::MissingSeparator(_))
        ));
    }

    #[test]
    fn reads_peep_base64() {
        // sha256 of b"abc", urlsafe base64 without padding.
        let digest =
            HashDigest::from_peep_base64("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0").unwrap();
        assert_eq!(
            digest.hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(HashDigest::from_peep_base64("short").is_none());
    }
}
