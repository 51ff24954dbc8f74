//! Cosign's signature format and where it keeps signatures: a "simple
//! signing" payload naming the signed manifest's digest, its signature in
//! the layer annotation `dev.cosignproject.cosign/signature`, all of an
//! artifact's signatures as the layers of one manifest tagged
//! `sha256-<hex>.sig` in the same repository. `cosign verify --key` finds
//! and checks signatures made here, and this host checks cosign's.

use anyhow::Result;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::layout::{Descriptor, Manifest};

/// The media type of a signature payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation that holds the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The config media type of a signature manifest.
const SIGNATURE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The tag cosign keeps the signatures of manifest `digest` under.
pub fn signature_tag(digest: &str) -> Result<String> {
    Ok(format!("sha256-{}.sig", super::check_digest(digest)?))
}

/// The payload that a signature of manifest `digest` in repository
/// `docker_reference` (`registry/repository`) signs.
pub fn payload(docker_reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": { "docker-reference": docker_reference },
            "image": { "docker-manifest-digest": digest },
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .expect("JSON serializes")
}

/// One signature as found: the payload's bytes and the base64 signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The payload, base64 (as kept in the store).
    pub payload: String,
    /// The base64 DER signature of the payload.
    pub signature: String,
}

impl Signature {
    /// A signature of `payload`.
    pub fn new(payload: &[u8], signature: String) -> Self {
        Self { payload: STANDARD.encode(payload), signature }
    }

    /// The payload's bytes, if it is valid base64.
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.payload).ok()
    }

    /// The manifest digest the payload says it signs, if it is a cosign payload.
    pub fn signed_digest(&self) -> Option<String> {
        let payload: serde_json::Value = serde_json::from_slice(&self.payload_bytes()?).ok()?;
        let critical = &payload["critical"];
        (critical["type"] == "cosign container image signature")
            .then(|| critical["image"]["docker-manifest-digest"].as_str().map(String::from))?
    }
}

/// The payload layers of a signature manifest, each with its signature
/// annotation; layers without one (certificates, attestations) are skipped.
pub fn signature_layers(manifest: &[u8]) -> Result<Vec<(Descriptor, String)>> {
    let manifest = Manifest::parse(manifest)?;
    Ok(manifest
        .layers
        .into_iter()
        .filter(|l| l.media_type == SIMPLE_SIGNING)
        .filter_map(|l| l.annotations.get(SIGNATURE_ANNOTATION).cloned().map(|s| (l, s)))
        .collect())
}

/// The signature manifest with `layer` appended to `existing`'s layers
/// (cosign's convention: one manifest holds every signature), and its
/// config blob.
pub fn with_signature(existing: Option<&[u8]>, layer: Descriptor) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut layers = match existing {
        Some(bytes) => Manifest::parse(bytes)?.layers,
        None => Vec::new(),
    };
    layers.retain(|l| l.digest != layer.digest || l.annotations != layer.annotations);
    layers.push(layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "",
        "os": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{ "created": "0001-01-01T00:00:00Z" }],
        "rootfs": { "type": "layers", "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>() },
    }))
    .expect("JSON serializes");
    let manifest = Manifest::new(Descriptor::of(SIGNATURE_CONFIG, &config), layers);
    Ok((config, manifest.to_bytes()))
}

/// The payload layer's descriptor for `payload` signed as `signature`.
pub fn payload_layer(payload: &[u8], signature: &str) -> Descriptor {
    let mut layer = Descriptor::of(SIMPLE_SIGNING, payload);
    layer.annotations.insert(SIGNATURE_ANNOTATION.into(), signature.into());
    layer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_accumulate_in_one_manifest_and_name_their_digest() {
        let digest = super::super::sha256_digest(b"manifest");
        assert_eq!(signature_tag(&digest).unwrap(), format!("sha256-{}.sig", &digest[7..]));
        let body = payload("127.0.0.1:5000/team/hello", &digest);
        assert_eq!(Signature::new(&body, "sig".into()).signed_digest(), Some(digest.clone()));
        assert_eq!(Signature::new(b"{\"critical\":{}}", "sig".into()).signed_digest(), None);

        let (_, first) = with_signature(None, payload_layer(&body, "A")).unwrap();
        let (config, both) = with_signature(Some(&first), payload_layer(&body, "B")).unwrap();
        let found: Vec<String> = signature_layers(&both).unwrap().into_iter().map(|(_, s)| s).collect();
        assert_eq!(found, ["A", "B"]);
        let (_, again) = with_signature(Some(&both), payload_layer(&body, "B")).unwrap();
        assert_eq!(signature_layers(&again).unwrap().len(), 2, "the same signature is not added twice");
        let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    }
}
