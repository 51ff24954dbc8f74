#!/usr/bin/env bash
# check-test-env.sh — smoke-test the environment scripts/setup.sh prepares:
#   1. the test images run (scripts/test-images.sh --verify: python3, pip, sh/ps, busybox;
#      and in portcullis-test/mcp-upstream:1 each MCP entry point answers an initialize
#      typed on stdin, offline: the fixture server, mcp-server-fetch, mcp-server-git);
#   2. a container can install portcullis-probe from the local PEP 503 index
#      (target/test-index, built by scripts/build-test-wheel.sh) served by the
#      host, and `import portcullis_probe; print(portcullis_probe.VALUE)` prints 42.
#
# How a container reaches a server on the host (both verified here):
#   * docker run --add-host=host.docker.internal:host-gateway …
#       then use http://host.docker.internal:PORT/  (preferred: works whatever
#       the bridge subnet is; "host-gateway" needs Docker >= 20.10)
#   * or the docker0 bridge IP directly, 172.17.0.1 by default
#       (`ip -4 -o addr show docker0`), no extra flag needed.
# The server must listen on 0.0.0.0 (or the docker0 IP), not 127.0.0.1, and the
# container must not use --network none. pip only accepts a plain-HTTP index
# from a non-localhost host with --trusted-host HOST; the python test image's
# /etc/pip.conf already trusts host.docker.internal and 172.17.0.1.
#
# Usage: scripts/check-test-env.sh
set -euo pipefail

log() { printf '[check-test-env] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=portcullis-test/python:3
INDEX_DIR="$REPO_ROOT/target/test-index"
PYTHON="${PYTHON:-python3}"

"$REPO_ROOT/scripts/test-images.sh" --verify
"$REPO_ROOT/scripts/build-test-wheel.sh"

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

log "serving $INDEX_DIR on 0.0.0.0:$PORT"
"$PYTHON" -m http.server --directory "$INDEX_DIR" "$PORT" --bind 0.0.0.0 >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do
    if "$PYTHON" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/simple/', timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

DOCKER0_IP="$(ip -4 -o addr show docker0 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')"
DOCKER0_IP="${DOCKER0_IP:-172.17.0.1}"

install_and_import() { # HOST EXTRA_PIP_ARGS...
    local host="$1" out
    shift
    log "pip install portcullis-probe from http://$host:$PORT/simple inside $IMAGE"
    # shellcheck disable=SC2016  # expanded by the container's sh: $0=host, $1=port, rest=pip args
    out="$(docker run --rm --add-host=host.docker.internal:host-gateway "$IMAGE" sh -c '
        host=$0 port=$1; shift
        python3 -m pip install --quiet --index-url "http://$host:$port/simple" "$@" portcullis-probe \
            && python3 -c "import portcullis_probe; print(portcullis_probe.VALUE)"
    ' "$host" "$PORT" "$@")" || die "install via $host failed"
    [[ "$out" == 42 ]] || die "install via $host: expected 42, got '$out'"
    log "  OK via $host (printed $out)"
}

# Explicit --trusted-host: what a test should pass when it can't rely on the
# image's pip.conf. The second form relies on /etc/pip.conf.
install_and_import host.docker.internal --trusted-host host.docker.internal
install_and_import "$DOCKER0_IP"
log "all checks passed"
