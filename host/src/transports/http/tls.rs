//! TLS on the listener itself (rustls with ring): the certificate chain and
//! key from `http.tls_cert` and `http.tls_key`. Files that fail to load at
//! start stop the host with an error naming the file. Afterwards they are
//! looked at again at most every [`RECHECK`] as connections arrive; when
//! either has changed (a renewed certificate) they are read again, and new
//! connections get the new certificate. A renewal that does not load is
//! logged and the certificate in use stays.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use crate::config::TlsFiles;

/// How often the files are looked at again, at most.
const RECHECK: Duration = Duration::from_secs(1);

/// The first byte of a TLS record carrying a handshake: what a TLS client
/// sends first, and a plain HTTP request never does.
pub const HANDSHAKE_RECORD: u8 = 0x16;

/// What the files looked like when they were read: a change in either
/// file's modification time or length means a new certificate.
type Stamp = [(Option<SystemTime>, u64); 2];

struct Loaded {
    stamp: Stamp,
    checked: Instant,
    acceptor: TlsAcceptor,
}

/// The listener's TLS: the acceptor for new connections, kept up to date
/// with the files.
pub struct Tls {
    files: TlsFiles,
    loaded: Mutex<Loaded>,
}

impl Tls {
    /// Reads the files; an error names the one at fault and why.
    pub fn load(files: &TlsFiles) -> Result<Tls, String> {
        let stamp = stamp(files);
        let acceptor = acceptor(files)?;
        Ok(Tls { files: files.clone(), loaded: Mutex::new(Loaded { stamp, checked: Instant::now(), acceptor }) })
    }

    /// The acceptor for a connection arriving now, with the files read again
    /// if they changed.
    pub fn acceptor(&self) -> TlsAcceptor {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.checked.elapsed() >= RECHECK {
            loaded.checked = Instant::now();
            let now = stamp(&self.files);
            if now != loaded.stamp {
                loaded.stamp = now;
                match acceptor(&self.files) {
                    Ok(renewed) => {
                        tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                        loaded.acceptor = renewed;
                    }
                    Err(e) => tracing::error!("keeping the TLS certificate in use: {e}"),
                }
            }
        }
        loaded.acceptor.clone()
    }
}

fn stamp(files: &TlsFiles) -> Stamp {
    [&files.cert, &files.key].map(|path| match std::fs::metadata(path) {
        Ok(meta) => (meta.modified().ok(), meta.len()),
        Err(_) => (None, 0),
    })
}

/// An acceptor for the chain and key in `files`, speaking HTTP/1.1 (ALPN).
fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let (cert_file, key_file) = (files.cert.display(), files.key.display());
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("`http.tls_cert` {cert_file}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("`http.tls_cert` {cert_file}: no certificate in it (expected PEM)"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| format!("`http.tls_key` {key_file}: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!("`http.tls_cert` {cert_file} and `http.tls_key` {key_file} are not a certificate and its key: {e}")
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
