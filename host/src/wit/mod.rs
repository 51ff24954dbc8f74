//! The plugin contract: host bindings generated from `wit/`, the
//! `portcullis:plugin@0.2.0` package (world `full`, every export at once).
//!
//! Everything in the host that speaks to plugins uses these types; the host
//! loads only the exports each component actually has (see
//! `plugins::plugin`). The module sits at the ground of the crate: any layer
//! may import it, it imports nothing of the host. Components built against
//! an earlier published version keep loading through [`v0_1`].

/// The generated bindings. Items carry the WIT's doc comments where it has
/// them; the generated plumbing (indices, linker functions) has none.
#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "portcullis:plugin/full",
        imports: { default: async | trappable },
        exports: { default: async },
        // For converting to and from the published versions (see `v0_1`).
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

pub use generated::*;

pub mod v0_1;
pub mod wire;

pub use exports::portcullis::plugin::{completions, packages, policy, prompts, resources, tools};
pub use portcullis::plugin::{
    client, config, context, dependencies, docker, docker_engine, events, log, progress, types,
};

/// The version of the contract these bindings implement, as written in
/// `wit/worlds.wit` (a test checks the two agree).
pub const VERSION: &str = "0.2.0";

impl types::Failure {
    /// The failure's text, without its kind.
    pub fn message(&self) -> &str {
        match self {
            types::Failure::NotFound(m)
            | types::Failure::InvalidParams(m)
            | types::Failure::Denied(m)
            | types::Failure::Failed(m) => m,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every file of the package declares the version the host binds.
    #[test]
    fn version_matches_the_package() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wit");
        assert_eq!(super::v0_1::VERSION, "0.1.0");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "wit") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.contains(&format!("package portcullis:plugin@{};", super::VERSION)),
                    "{} does not declare portcullis:plugin@{}",
                    path.display(),
                    super::VERSION
                );
                files += 1;
            }
        }
        assert!(files > 10, "expected the package's files in {dir}, found {files}");
    }
}
