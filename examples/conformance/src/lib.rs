//! Every fixture the official MCP conformance suite
//! (`@modelcontextprotocol/conformance` 0.2.0-alpha.12) needs from a server, for
//! both `--requirements 2025-11-25` and `--requirements 2026-07-28`: the `test_*`
//! tools, the `test://` resources and template, the `test_*` prompts and argument
//! completion.
//!
//! The suite's exact expectations are in its own package: the README of the
//! prepacked suite (`$CONFORMANCE_RUN`'s directory, see `scripts/conformance.sh`)
//! says where.
//!
//! Every call runs in a fresh instance, and in the 2026-07-28 protocol a call that
//! asks the client something is re-run from the start once the client answers.
//! So nothing here keeps state, and every fixture makes the same client requests
//! in the same order for the same arguments.
//!
//! Build: `cargo build --target wasm32-wasip2 --profile plugin -p conformance`.

/// The bindings of the plugin contract, private so that the generated items are not this crate's API.
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "portcullis:plugin/server-plugin",
        generate_all,
    });
}

pub(crate) use bindings::{exports, portcullis};

mod ask;
mod completions;
mod prompts;
mod resources;
mod tasks;
mod tools;

/// A 1×1 red pixel (PNG).
pub(crate) const PNG: &[u8] = include_bytes!("../assets/pixel.png");
/// One silent sample of 16-bit mono PCM at 8 kHz (WAV).
pub(crate) const WAV: &[u8] = include_bytes!("../assets/silence.wav");

/// The conformance fixtures.
pub(crate) struct Conformance;

bindings::export!(Conformance with_types_in bindings);
