#!/usr/bin/env bash
# test.sh — the whole test suite, from a fresh clone: set-up (idempotent), build
# once, then Rust tests, the Python client tests, the official MCP
# conformance suite, and last the container image's and the arm64 binary's
# tests (their static builds run in the background meanwhile). Exits
# non-zero on the first failing stage.
#
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
log() { printf '[test] %s\n' "$*" >&2; }

log "set-up"
scripts/setup.sh

# The container image and the arm64 binary need static builds of their own:
# they compile in the background at the lowest priority, using the CPU the
# tests leave idle, in their own target directory (so they hold no lock the
# other stages need); their tests run last.
STATIC_LOG="$REPO_ROOT/target/static-build.log"
log "building the container image and the arm64 binary in the background (log: $STATIC_LOG)"
mkdir -p target
setsid nice -n 19 env CARGO_TARGET_DIR="$REPO_ROOT/target/static" bash -c \
    'scripts/build-image.sh --profile image-test --tag portcullis:test && scripts/static-binary.sh aarch64 image-test' \
    >"$STATIC_LOG" 2>&1 &
STATIC_BUILD=$!
trap 'kill -- -$STATIC_BUILD 2>/dev/null || true' EXIT

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
.venv/bin/python -m pytest tests/python -q --ignore=tests/python/test_image.py "$@"

if [[ -x scripts/conformance.sh ]]; then
    log "MCP conformance suite"
    scripts/conformance.sh
fi
log "waiting for the image and arm64 builds"
if ! wait "$STATIC_BUILD"; then
    tail -n 40 "$STATIC_LOG" >&2
    log "the static builds failed (whole log: $STATIC_LOG)"
    exit 1
fi
log "container image and arm64 tests"
PORTCULLIS_IMAGE=portcullis:test .venv/bin/python -m pytest tests/python/test_image.py -q "$@"
log "all tests passed"
