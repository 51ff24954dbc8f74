#!/usr/bin/env bash
# test.sh — the whole test suite, from a fresh clone: set-up (idempotent), build
# once, then Rust tests, the Python client tests, the official MCP
# conformance suite, and last the container image's tests (its static build
# runs in the background meanwhile; PORTCULLIS_TEST_ARM64=1 adds the arm64
# binary's, served under qemu-user). Exits non-zero on the first failing stage.
#
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
# Each line says how long the run has taken, so a slow stage shows in CI's log,
# and how much disk is left, since a CI machine once ran out of it mid-build.
log() {
    printf '[test %dm%02ds, %s free] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) \
        "$(df -h --output=avail . | tail -n 1 | tr -d ' ')" "$*" >&2
}
# A fresh clone gains nothing from incremental compilation but its disk use.
if [[ -n ${CI:-} ]]; then export CARGO_INCREMENTAL=0; fi

log "set-up"
scripts/setup.sh

# The container image (and, with PORTCULLIS_TEST_ARM64=1, the arm64 binary)
# need static builds of their own: they compile in the background at the
# lowest priority, using the CPU the tests leave idle, in their own target
# directory (so they hold no lock the other stages need); their tests run
# last. The arm64 cross-build doubles that work, so it is opt-in.
STATIC_LOG="$REPO_ROOT/target/static-build.log"
STATIC_BUILDS='scripts/build-image.sh --profile image-test --tag portcullis:test'
IMAGE_TESTS=(tests/python/test_image.py)
if [[ ${PORTCULLIS_TEST_ARM64:-0} == 1 ]]; then
    STATIC_BUILDS+=' && scripts/static-binary.sh aarch64 image-test'
else
    IMAGE_TESTS+=(-k "not arm64")
fi
log "building the container image in the background (log: $STATIC_LOG)"
mkdir -p target
setsid nice -n 19 env CARGO_TARGET_DIR="$REPO_ROOT/target/static" bash -c "$STATIC_BUILDS" >"$STATIC_LOG" 2>&1 &
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
cargo build --locked --target wasm32-wasip2 --profile plugin -p hello -p counter -p faulty -p legacy-v0_1 -p conformance

log "Rust tests (every crate of the workspace: the host, and the plugins' logic natively)"
cargo nextest run --locked --no-fail-fast --workspace

log "Python client tests"
.venv/bin/python -m pytest tests/python -q --ignore=tests/python/test_image.py "$@"

if [[ -x scripts/conformance.sh ]]; then
    log "MCP conformance suite"
    scripts/conformance.sh
fi
log "waiting for the static builds"
if ! wait "$STATIC_BUILD"; then
    tail -n 40 "$STATIC_LOG" >&2
    log "the static builds failed (whole log: $STATIC_LOG)"
    exit 1
fi
log "container image tests"
PORTCULLIS_IMAGE=portcullis:test .venv/bin/python -m pytest "${IMAGE_TESTS[@]}" -q "$@"
log "all tests passed"
