//! TLS for the index client: the system's roots (what reqwest's own default reads, through
//! `rustls-platform-verifier`), plus `--cert`'s, read the first time a server's certificate
//! must be checked rather than when the client is built.
//!
//! Reading the system's store is not free: with `SSL_CERT_DIR` set (common, and set on the
//! machines hashpin is measured on) it opens and parses every file of `/etc/ssl/certs` as well
//! as the bundle, 5–15 ms there before the first request could start. An index on this machine or a trusted host
//! speaks plain http and needs none of it, and a machine without any CA certificate (a
//! minimal container) can still lock against such an index instead of failing to start.
//! When an https location is configured, the roots are read on a thread of their own while
//! the first connection is made, and are ready when the server's certificate arrives.

use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The client's TLS configuration: HTTP/2 or 1.1 by ALPN (what reqwest offers by default),
/// certificates checked by a [`LazyRoots`] verifier over `extra_roots`, whose roots are read
/// at once on a thread of their own when `https_ahead` (an https location will be asked).
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
    https_ahead: bool,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // A bad `--cert` is named before anything is asked, as before: every extra root must be
    // one rustls can anchor to.
    let mut store = rustls::RootCertStore::empty();
    for root in &extra_roots {
        store.add(root.clone())?;
    }
    let verifier = Arc::new(LazyRoots::new(Arc::clone(&provider), extra_roots));
    if https_ahead {
        verifier.read_ahead();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The system's store held no certificate: every https server is refused.
#[derive(Debug)]
pub(crate) struct NoSystemRoots;

impl std::fmt::Display for NoSystemRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "no CA certificate could be read from the system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or the OS's)",
        )
    }
}

impl std::error::Error for NoSystemRoots {}

/// The platform's verifier, made on first use. Signatures on the handshake are checked with
/// the provider's algorithms, as the platform's verifier does, without reading any root.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    algorithms: WebPkiSupportedAlgorithms,
    extra_roots: Vec<CertificateDer<'static>>,
    /// Kept once made; a failure is not, so a long `hashpin serve` reads the store again
    /// at its next handshake (after certificates are installed, say).
    verifier: OnceLock<rustls_platform_verifier::Verifier>,
    /// Held while the store is read, so that the read-ahead and a first handshake read it once.
    reading: Mutex<()>,
}

impl LazyRoots {
    fn new(provider: Arc<CryptoProvider>, extra_roots: Vec<CertificateDer<'static>>) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
            provider,
            extra_roots,
            verifier: OnceLock::new(),
            reading: Mutex::new(()),
        }
    }

    /// Reads the roots on a thread of its own; a handshake that needs them first waits for it.
    fn read_ahead(self: &Arc<Self>) {
        let roots = Arc::clone(self);
        let _ = std::thread::Builder::new()
            .name("hashpin-tls-roots".to_string())
            .spawn(move || {
                let _ = roots.verifier();
            });
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        if let Some(verifier) = self.verifier.get() {
            return Ok(verifier);
        }
        let _reading = self
            .reading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(verifier) = self.verifier.get() {
            return Ok(verifier);
        }
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.extra_roots.iter().cloned(),
            Arc::clone(&self.provider),
        )
        .map_err(|error| match error {
            // What rustls-platform-verifier says when the store held nothing usable.
            rustls::Error::General(_) => {
                rustls::Error::Other(rustls::OtherError(Arc::new(NoSystemRoots)))
            }
            other => other,
        })?;
        Ok(self.verifier.get_or_init(|| verifier))
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(extra_roots: Vec<CertificateDer<'static>>) -> LazyRoots {
        LazyRoots::new(
            Arc::new(rustls::crypto::ring::default_provider()),
            extra_roots,
        )
    }

    /// The loopback TLS tests' self-signed certificate, for `127.0.0.1`.
    fn test_certificate() -> CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject as _;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tls/cert.pem");
        CertificateDer::from_pem_file(path).unwrap()
    }

    #[test]
    fn roots_are_not_read_until_a_certificate_is_checked() {
        let config = client_config(Vec::new(), false).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        let verifier = roots(Vec::new());
        assert!(!verifier.supported_verify_schemes().is_empty());
        assert!(verifier.verifier.get().is_none(), "nothing read yet");
        // A certificate no root vouches for: the roots are read, and it is refused.
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let refused =
            verifier.verify_server_cert(&test_certificate(), &[], &name, &[], UnixTime::now());
        match refused {
            Err(rustls::Error::InvalidCertificate(_)) => {
                assert!(verifier.verifier.get().is_some(), "read on first use");
            }
            // A machine without CA certificates: nothing to keep, asked again next time.
            Err(rustls::Error::Other(other)) if other.0.is::<NoSystemRoots>() => {
                assert!(verifier.verifier.get().is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn roots_are_read_ahead_when_https_will_be_asked() {
        // With a root of its own it needs nothing from the machine's store to be made.
        let roots = Arc::new(roots(vec![test_certificate()]));
        roots.read_ahead();
        let started = std::time::Instant::now();
        while roots.verifier.get().is_none() {
            assert!(started.elapsed() < std::time::Duration::from_secs(30));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn an_extra_root_vouches_for_its_server() {
        let certificate = test_certificate();
        let verifier = roots(vec![certificate.clone()]);
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let accepted = verifier.verify_server_cert(&certificate, &[], &name, &[], UnixTime::now());
        assert!(accepted.is_ok(), "{accepted:?}");
        let other = ServerName::try_from("index.example").unwrap();
        assert!(
            verifier
                .verify_server_cert(&certificate, &[], &other, &[], UnixTime::now())
                .is_err(),
            "the name is still checked"
        );
    }
}
