#!/usr/bin/env bash
# test.sh — the whole test suite, from a fresh clone: set-up (idempotent), build
# once, then Rust tests, the Python client tests, and the official MCP
# conformance suite. Exits non-zero on the first failing stage.
#
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
log() { printf '[test] %s\n' "$*" >&2; }

log "set-up"
scripts/setup.sh

log "code checks: format, lints (native and wasm32), docs"
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked --target wasm32-wasip2 --workspace --exclude portcullis -- -D warnings
RUSTDOCFLAGS="-D warnings -A rustdoc::private-intra-doc-links" \
    cargo doc --locked --workspace --no-deps --document-private-items

log "building the host (with its bundled plugins) and the example and test plugins"
cargo build --locked -p portcullis
cargo build --locked --target wasm32-wasip2 --profile plugin -p hello -p faulty -p legacy-v0_1 -p conformance

log "Rust tests (every crate of the workspace: the host, and the plugins' logic natively)"
cargo nextest run --locked --no-fail-fast --workspace

log "Python client tests"
.venv/bin/python -m pytest tests/python -q "$@"

if [[ -x scripts/conformance.sh ]]; then
    log "MCP conformance suite"
    scripts/conformance.sh
fi
log "all tests passed"
