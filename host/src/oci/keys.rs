//! Signing keys as cosign uses them: ECDSA P-256 over SHA-256, signatures
//! DER-encoded. Private keys are PKCS#8 PEM files (mode 0600), public keys
//! SPKI PEM files (`cosign verify --key FILE.pub` reads them as they are;
//! `cosign import-key-pair --key FILE.key` turns a private key into cosign's
//! own encrypted format).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};

/// A public key that signatures are checked against, with where it came from.
#[derive(Clone)]
pub struct PublicKey {
    /// The file it was read from.
    pub path: PathBuf,
    key: VerifyingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({}, {})", self.path.display(), self.fingerprint())
    }
}

impl PublicKey {
    /// Reads an SPKI PEM public key file.
    pub fn read(path: &Path) -> Result<Self> {
        let pem =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the public key {}", path.display()))?;
        let key = VerifyingKey::from_public_key_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "{} is not an ECDSA P-256 public key in PEM (`-----BEGIN PUBLIC KEY-----`): {e}",
                path.display()
            )
        })?;
        Ok(Self { path: path.to_path_buf(), key })
    }

    /// `sha256:` and the first 16 hex digits of the SHA-256 of the key's DER form.
    pub fn fingerprint(&self) -> String {
        let der = self.key.to_public_key_der().expect("a P-256 key encodes");
        super::sha256_digest(der.as_bytes())[..7 + 16].to_string()
    }

    /// Whether `signature` (base64 of a DER ECDSA signature) signs `payload`.
    pub fn verifies(&self, payload: &[u8], signature: &str) -> bool {
        let Ok(der) = STANDARD.decode(signature.trim()) else { return false };
        let Ok(signature) = Signature::from_der(&der) else { return false };
        self.key.verify(payload, &signature).is_ok()
    }
}

/// A private key that signs payloads.
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    /// Reads a PKCS#8 PEM private key file.
    pub fn read(path: &Path) -> Result<Self> {
        let pem =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the private key {}", path.display()))?;
        if pem.contains("ENCRYPTED SIGSTORE PRIVATE KEY") || pem.contains("ENCRYPTED COSIGN PRIVATE KEY") {
            bail!(
                "{} is cosign's encrypted key format, which this host does not read: sign with a key from `portcullis plugin generate-key` (cosign can import it with `cosign import-key-pair`)",
                path.display()
            );
        }
        let key = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| anyhow::anyhow!("{} is not an ECDSA P-256 private key in PKCS#8 PEM: {e}", path.display()))?;
        Ok(Self(key))
    }

    /// Base64 of the DER ECDSA P-256 signature of SHA-256(`payload`).
    pub fn sign(&self, payload: &[u8]) -> String {
        let signature: Signature = self.0.sign(payload);
        STANDARD.encode(signature.to_der().as_bytes())
    }

    /// Its public half.
    pub fn public(&self, path: &Path) -> PublicKey {
        PublicKey { path: path.to_path_buf(), key: *self.0.verifying_key() }
    }
}

/// Generates a key pair from the OS's randomness into `PREFIX.key` (0600)
/// and `PREFIX.pub`; refuses to overwrite either. Returns both paths.
pub fn generate(prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    let with = |extension: &str| {
        let mut path = prefix.as_os_str().to_owned();
        path.push(extension);
        PathBuf::from(path)
    };
    let (private_path, public_path) = (with(".key"), with(".pub"));
    for path in [&private_path, &public_path] {
        if path.exists() {
            bail!("{} exists already; choose another --output or remove it", path.display());
        }
    }
    let key = SigningKey::random(&mut rand_core::OsRng);
    let private = key.to_pkcs8_pem(LineEnding::LF).context("encoding the private key")?;
    let public = key.verifying_key().to_public_key_pem(LineEnding::LF).context("encoding the public key")?;
    write_new(&private_path, private.as_bytes(), 0o600)?;
    write_new(&public_path, public.as_bytes(), 0o644)?;
    Ok((private_path, public_path))
}

/// Creates `path` (never replacing a file) with `mode` and writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_and_only_its_public_key_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = generate(&dir.path().join("team")).unwrap();
        let (other_private, other_public) = generate(&dir.path().join("other")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
        let signature = PrivateKey::read(&private).unwrap().sign(b"payload");
        let key = PublicKey::read(&public).unwrap();
        assert!(key.verifies(b"payload", &signature));
        assert!(!key.verifies(b"payload2", &signature));
        assert!(!PublicKey::read(&other_public).unwrap().verifies(b"payload", &signature));
        assert!(!key.verifies(b"payload", "not base64!"));
        assert!(!key.verifies(b"payload", &PrivateKey::read(&other_private).unwrap().sign(b"payload")));
        assert_eq!(key.fingerprint().len(), 23);
        assert!(generate(&dir.path().join("team")).unwrap_err().to_string().contains("exists already"));
        assert!(PublicKey::read(&private).is_err());
    }
}
