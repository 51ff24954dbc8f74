#!/usr/bin/env bash
# conformance.sh — the official MCP conformance suite against `portcullis serve
# --http`, with the conformance example plugin (examples/conformance) loaded:
# starts the server on a free port, waits for /healthz, runs the suite for
# both required revisions (2025-11-25 and 2026-07-28), stops the server with
# SIGTERM and checks that it exits 0. Checks known to fail are listed in
# tests/conformance/expected-failures.yml.
#
# Needs: the host binary and the plugin, built by scripts/test.sh (or
#   cargo build -p portcullis
#   cargo build --target wasm32-wasip2 --profile plugin -p conformance).
# Environment: PORTCULLIS_BIN, PORTCULLIS_WASM_DIR (as for the Python tests),
#   CONFORMANCE_RUN (the suite's runner; default ../shared/conformance/run).
#
# Usage: scripts/conformance.sh [extra suite arguments, e.g. --verbose]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
log() { printf '[conformance] %s\n' "$*" >&2; }

BIN="${PORTCULLIS_BIN:-$REPO_ROOT/target/debug/portcullis}"
PLUGIN="${PORTCULLIS_WASM_DIR:-$REPO_ROOT/target/wasm32-wasip2/plugin}/conformance.wasm"
# The prepacked suite: CONFORMANCE_RUN, else beside the checkout (../shared).
RUN="${CONFORMANCE_RUN:-$REPO_ROOT/../shared/conformance/run}"
BASELINE="$REPO_ROOT/tests/conformance/expected-failures.yml"

for need in "$BIN" "$PLUGIN" "$RUN"; do
    [[ -e $need ]] || { log "$need is missing (see the header of this script)"; exit 1; }
done

work="$(mktemp -d)"
mkdir "$work/plugins"
cp "$PLUGIN" "$work/plugins/"
server_log="$work/server.log"
pid=""

stop_server() {
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local status=0
    wait "$pid" || status=$?
    pid=""
    return "$status"
}
cleanup() {
    stop_server || true
    rm -rf "$work"
}
trap cleanup EXIT

log "starting portcullis serve --http with $(basename "$PLUGIN")"
PORTCULLIS_BUNDLED_PLUGINS=false "$BIN" serve --http 127.0.0.1:0 --plugins "$work/plugins" 2>"$server_log" &
pid=$!

# The server logs the address it bound (port 0 lets the OS pick a free one).
url=""
for _ in $(seq 1 600); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$server_log" | head -n1 || true)"
    [[ -n $url ]] && break
    kill -0 "$pid" 2>/dev/null || { log "the server exited during start-up:"; cat "$server_log" >&2; exit 1; }
    sleep 0.1
done
[[ -n $url ]] || { log "the server did not start within 60 s:"; cat "$server_log" >&2; exit 1; }
base="${url%/mcp}"
until curl -fsS "$base/healthz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { log "the server exited:"; cat "$server_log" >&2; exit 1; }
    sleep 0.1
done
log "server ready at $url"

failed=()
for revision in 2025-11-25 2026-07-28; do
    log "suite for $revision"
    if ! "$RUN" server --url "$url" --requirements "$revision" --expected-failures "$BASELINE" "$@"; then
        failed+=("$revision")
    fi
done

log "stopping the server (SIGTERM)"
if ! stop_server; then
    log "the server did not exit cleanly after SIGTERM; its log:"
    cat "$server_log" >&2
    exit 1
fi

if ((${#failed[@]})); then
    log "FAILED for: ${failed[*]} (server log follows)"
    tail -n 50 "$server_log" >&2
    exit 1
fi
log "both revisions pass"
