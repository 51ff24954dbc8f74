//! Fetching and verifying an artifact: online from its registry (at `add`,
//! `update` and `verify`), and offline from the store at every load. Both
//! check the same chain: signature → manifest digest → component digest.
//! Online, the signature is checked before the component is downloaded,
//! and what is downloaded is fetched by the verified digest, never by tag.

use anyhow::{Context, Result, bail};

use super::cosign::{Signature, signature_layers, signature_tag};
use super::layout::component_layer;
use super::lock::{LockEntry, now};
use super::reference::{self, Reference, repository};
use super::registry::Registry;
use super::store::Store;
use super::trust::TrustPolicy;

/// The most bytes a signature payload may have (cosign's are a few hundred).
const MAX_PAYLOAD_BYTES: u64 = 64 << 10;

/// An artifact whose chain checked out.
#[derive(Debug)]
pub struct Verified {
    /// The manifest's digest.
    pub digest: String,
    /// The manifest's bytes.
    pub manifest: Vec<u8>,
    /// The component.
    pub wasm: Vec<u8>,
    /// The signatures found for the manifest.
    pub signatures: Vec<Signature>,
    /// Who signed it, as the policy found.
    pub signer: String,
}

/// Fetches `reference`, which must name a digest, and verifies it under `policy`.
pub async fn fetch(reference: &Reference, policy: &TrustPolicy) -> Result<Verified> {
    if reference.digest().is_none() {
        bail!("{} names no digest; resolve the tag first", reference::display(reference));
    }
    let registry = Registry::for_reference(reference);
    let (manifest, digest) = registry.manifest(reference).await?;
    let layer = component_layer(&manifest).with_context(|| reference::display(reference))?;
    let signatures = fetch_signatures(&registry, reference, &digest).await?;
    let signer = policy.signer(&repository(reference), &digest, &signatures)?;
    let wasm = registry.blob(reference, &layer).await?;
    Ok(Verified { digest, manifest, wasm, signatures, signer })
}

/// The cosign signatures of manifest `digest`, found under its signature tag.
pub async fn fetch_signatures(registry: &Registry, reference: &Reference, digest: &str) -> Result<Vec<Signature>> {
    let at = reference::tagged(reference, &signature_tag(digest)?);
    let Some(manifest) = registry.manifest_if_any(&at).await? else { return Ok(Vec::new()) };
    let mut signatures = Vec::new();
    for (layer, signature) in signature_layers(&manifest)? {
        if layer.size <= MAX_PAYLOAD_BYTES {
            let payload = registry.blob(&at, &layer).await?;
            signatures.push(Signature::new(&payload, signature));
        }
    }
    Ok(signatures)
}

impl Verified {
    /// Keeps the manifest, component and signatures in `store`.
    pub fn keep(&self, store: &Store) -> Result<()> {
        store.put(&self.manifest)?;
        store.put(&self.wasm)?;
        store.put_signatures(&self.digest, &self.signatures)
    }

    /// The lock entry that pins it as plugin `name`, added from `source`.
    pub fn entry(&self, name: &str, source: &str) -> LockEntry {
        LockEntry {
            name: name.into(),
            source: source.into(),
            digest: self.digest.clone(),
            sha256: super::sha256_digest(&self.wasm),
            signer: self.signer.clone(),
            verified_at: now(),
        }
    }
}

/// The component `entry` pins, read from `store` and verified again under
/// `policy`; every error names the lock entry.
pub fn load_locked(store: &Store, entry: &LockEntry, policy: &TrustPolicy) -> Result<Vec<u8>> {
    let check = || -> Result<Vec<u8>> {
        let reference = reference::parse(&entry.source)?;
        let manifest = store.get(&entry.digest)?;
        let layer = component_layer(&manifest)?;
        if layer.digest != entry.sha256 {
            bail!("its manifest names the component {}, not the {} the lock recorded", layer.digest, entry.sha256);
        }
        policy.signer(&repository(&reference), &entry.digest, &store.signatures(&entry.digest)?)?;
        store.get(&layer.digest)
    };
    check().with_context(|| format!("lock entry `{}` ({} at {})", entry.name, entry.source, entry.digest))
}
