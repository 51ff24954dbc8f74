//! `oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]`: how commands and the
//! lock file name an artifact.

use anyhow::{Result, bail};
pub use oci_client::Reference;

/// The scheme every plugin reference starts with.
pub const SCHEME: &str = "oci://";

/// Parses `oci://…`. The registry must be named (no implicit Docker Hub),
/// and a digest, when given, must be a sha256 one.
pub fn parse(text: &str) -> Result<Reference> {
    let Some(rest) = text.strip_prefix(SCHEME) else {
        bail!(
            "`{}` is not an OCI reference: write oci://REGISTRY/REPOSITORY:TAG or …@sha256:DIGEST",
            text.escape_debug()
        )
    };
    let explicit_registry =
        rest.split_once('/').is_some_and(|(host, _)| host.contains(['.', ':']) || host == "localhost");
    if !explicit_registry {
        bail!(
            "`{}` names no registry: write oci://REGISTRY/REPOSITORY (for example oci://ghcr.io/you/plugin:1.0)",
            text.escape_debug()
        );
    }
    let reference: Reference =
        rest.parse().map_err(|e| anyhow::anyhow!("`{}` is not a valid OCI reference: {e}", text.escape_debug()))?;
    if let Some(digest) = reference.digest() {
        super::check_digest(digest)?;
    }
    Ok(reference)
}

/// `registry/repository`: what trust rules match and signatures name.
pub fn repository(reference: &Reference) -> String {
    format!("{}/{}", reference.registry(), reference.repository())
}

/// The same repository at `digest`, without the tag.
pub fn pinned(reference: &Reference, digest: &str) -> Reference {
    Reference::with_digest(reference.registry().into(), reference.repository().into(), digest.into())
}

/// The same repository at `tag`.
pub fn tagged(reference: &Reference, tag: &str) -> Reference {
    Reference::with_tag(reference.registry().into(), reference.repository().into(), tag.into())
}

/// `oci://…` as people write it.
pub fn display(reference: &Reference) -> String {
    let mut text = format!("{SCHEME}{}", repository(reference));
    if let Some(tag) = reference.tag() {
        text += &format!(":{tag}");
    }
    if let Some(digest) = reference.digest() {
        text += &format!("@{digest}");
    }
    text
}

/// Whether the registry is on this machine, where plain HTTP is accepted.
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => registry.rsplit_once(':').map_or(registry, |(host, _)| host),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_need_the_scheme_a_registry_and_sha256_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("oci://127.0.0.1:5000/team/hello@{digest}")).unwrap();
        assert_eq!(repository(&r), "127.0.0.1:5000/team/hello");
        assert_eq!(r.digest(), Some(digest.as_str()));
        let r = parse("oci://ghcr.io/you/plugin:1.0").unwrap();
        assert_eq!((r.tag(), display(&r).as_str()), (Some("1.0"), "oci://ghcr.io/you/plugin:1.0"));
        assert_eq!(display(&pinned(&r, &digest)), format!("oci://ghcr.io/you/plugin@{digest}"));
        for bad in [
            "ghcr.io/you/plugin:1",
            "oci://plugin:1",
            "oci://you/plugin",
            "oci://ghcr.io/a@sha256:zz",
            "oci://ghcr.io/A B",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for yes in ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in ["ghcr.io", "10.0.0.1:5000", "127.0.0.1.nip.io:5000", "localhost.example.com"] {
            assert!(!is_loopback(no), "{no}");
        }
    }
}
