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

log "building the host (with its bundled plugins) and the example and test plugins"
cargo build --locked -p portcullis
cargo build --locked --target wasm32-wasip2 --profile plugin -p hello -p faulty -p legacy-v0_1 -p conformance

log "Rust tests (the host, and the plugins' own logic natively)"
cargo nextest run --locked --no-fail-fast \
    -p portcullis -p plugin-kit -p python -p node -p apt -p apk -p sandbox -p paths

log "Python client tests"
.venv/bin/python -m pytest tests/python -q "$@"

if [[ -x scripts/conformance.sh ]]; then
    log "MCP conformance suite"
    scripts/conformance.sh
fi
log "all tests passed"
