//! The CNCF Wasm OCI artifact layout
//! (<https://tag-runtime.cncf.io/wgs/wasm/deliverables/wasm-oci-artifact/>):
//! an OCI image manifest whose config is `application/vnd.wasm.config.v0+json`
//! and whose one layer is the component, `application/wasm`.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::sha256_digest;

/// The media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of a Wasm artifact's config.
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// The media type of a Wasm artifact's layer.
pub const WASM_LAYER: &str = "application/wasm";
/// The largest component this host fetches (and its manifests far less).
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// A content descriptor: what a manifest says about a blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
    /// Its length in bytes.
    pub size: u64,
    /// Annotations (cosign keeps its signature here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.into(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
        }
    }
}

/// An OCI image manifest, as far as this host reads and writes one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`OCI_MANIFEST`].
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, in order.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// A manifest of `config` and `layers`.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self { schema_version: 2, media_type: Some(OCI_MANIFEST.into()), config, layers, annotations: BTreeMap::new() }
    }

    /// Parses manifest bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| anyhow::anyhow!("the manifest is not an OCI image manifest: {e}"))
    }

    /// The manifest's bytes as pushed (its digest is theirs).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest serializes")
    }
}

/// A component packed as an artifact: the blobs to push and the manifest.
pub struct Artifact {
    /// The config blob (JSON).
    pub config: Vec<u8>,
    /// The manifest's bytes.
    pub manifest: Vec<u8>,
}

/// Packs `wasm` in the layout; `imports` and `exports` are the component's
/// world-level names, recorded in the config as the layout describes.
pub fn pack(wasm: &[u8], imports: &[String], exports: &[String], created: &str) -> Artifact {
    let layer = Descriptor::of(WASM_LAYER, wasm);
    let config = serde_json::to_vec(&serde_json::json!({
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer.digest],
        "component": { "imports": imports, "exports": exports },
    }))
    .expect("JSON serializes");
    let mut manifest = Manifest::new(Descriptor::of(WASM_CONFIG, &config), vec![layer]);
    manifest.annotations.insert("org.opencontainers.image.created".into(), created.into());
    Artifact { config, manifest: manifest.to_bytes() }
}

/// The component layer of a manifest in the layout; anything else (an
/// image, several layers, another config type) is refused with what it is.
pub fn component_layer(manifest: &[u8]) -> Result<Descriptor> {
    let manifest = Manifest::parse(manifest)?;
    if manifest.config.media_type != WASM_CONFIG {
        bail!(
            "the artifact's config is `{}`, not `{WASM_CONFIG}`: it is not a Wasm component in the CNCF layout (push it with `portcullis plugin push`)",
            manifest.config.media_type.escape_debug()
        );
    }
    let [layer] = manifest.layers.as_slice() else {
        bail!("the artifact has {} layers; a Wasm component artifact has exactly one", manifest.layers.len())
    };
    if layer.media_type != WASM_LAYER {
        bail!("the artifact's layer is `{}`, not `{WASM_LAYER}`", layer.media_type.escape_debug());
    }
    super::check_digest(&layer.digest)?;
    if layer.size > MAX_COMPONENT_BYTES {
        bail!("the component is {} bytes; this host takes at most {MAX_COMPONENT_BYTES}", layer.size);
    }
    Ok(layer.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_component_is_read_back_and_other_artifacts_are_refused() {
        let artifact = pack(
            b"\0asm",
            &["wasi:io/streams@0.2.0".into()],
            &["portcullis:plugin/tools@0.2.0".into()],
            "2026-12-03T00:00:00Z",
        );
        let layer = component_layer(&artifact.manifest).unwrap();
        assert_eq!(layer, Descriptor::of(WASM_LAYER, b"\0asm"));
        let config: serde_json::Value = serde_json::from_slice(&artifact.config).unwrap();
        assert_eq!((config["architecture"].as_str(), config["os"].as_str()), (Some("wasm"), Some("wasip2")));
        assert_eq!(config["layerDigests"][0], layer.digest);

        let image =
            Manifest::new(Descriptor::of("application/vnd.oci.image.config.v1+json", b"{}"), vec![layer.clone()]);
        assert!(component_layer(&image.to_bytes()).unwrap_err().to_string().contains("not a Wasm component"));
        let two = Manifest::new(Descriptor::of(WASM_CONFIG, b"{}"), vec![layer.clone(), layer]);
        assert!(component_layer(&two.to_bytes()).unwrap_err().to_string().contains("2 layers"));
        assert!(component_layer(b"not json").is_err());
    }
}
