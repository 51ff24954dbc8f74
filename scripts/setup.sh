#!/usr/bin/env bash
# setup.sh — one-shot, idempotent set-up of a fresh development/CI machine
# (Debian 12, Docker engine, no image registry) for Portcullis' tests:
#   1. rustup target add wasm32-wasip2
#   2. Python venv at <repo>/.venv with tests/python/requirements.txt installed
#      (re-installed only when requirements.txt or the interpreter changes)
#   3. the local package index for install tests (scripts/build-test-wheel.sh)
#   4. the Docker test images (scripts/test-images.sh)
#   5. Debian's chromium and chromium-driver, for the dashboard's browser
#      tests (tests/python/test_dashboard.py), with apt-get when missing
#   6. what the static and cross builds need (scripts/static-binary.sh):
#      the x86_64 and aarch64 musl Rust targets, Debian's musl-tools and
#      gcc-aarch64-linux-gnu, and qemu-user-static to run the arm64 binary
#   7. Debian's docker-registry, which the engine management tests run on
#      loopback (tests/python/test_docker_engine.py)
# Every step is skipped quickly when already done; safe to run from any cwd.
# Progress goes to stderr.
#
# Usage: scripts/setup.sh [--no-rust] [--no-venv] [--no-images] [--no-browser] [--no-cross]
# Env:   PYTHON  interpreter for the venv (default python3; needs >= 3.10 for mcp)
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
REQUIREMENTS="$REPO_ROOT/tests/python/requirements.txt"
STAMP="$VENV/.portcullis-requirements.sha256"
PYTHON="${PYTHON:-python3}"

DO_RUST=1
DO_VENV=1
DO_IMAGES=1
DO_BROWSER=1
DO_CROSS=1
for arg in "$@"; do
    case "$arg" in
        --no-rust) DO_RUST=0 ;;
        --no-venv) DO_VENV=0 ;;
        --no-images) DO_IMAGES=0 ;;
        --no-browser) DO_BROWSER=0 ;;
        --no-cross) DO_CROSS=0 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $arg (see --help)" ;;
    esac
done

# Installs Debian packages (with sudo unless root), logging why.
apt_install() {
    local why="$1"; shift
    command -v apt-get >/dev/null || die "no apt-get; install $* by hand ($why)"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    log "installing $* with apt-get ($why)"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

# Adds Rust targets that are missing.
rust_targets() {
    local target
    for target in "$@"; do
        if rustup target list --installed | grep -qx "$target"; then
            log "rust target $target: present"
        else
            log "adding rust target $target"
            (cd "$REPO_ROOT" && rustup target add "$target" >&2)
        fi
    done
}

# 1. Rust target -------------------------------------------------------------
if [[ $DO_RUST -eq 1 ]]; then
    command -v rustup >/dev/null || die "rustup not found on PATH (install Rust via rustup first)"
    rust_targets wasm32-wasip2
fi

# 2. Python venv -------------------------------------------------------------
if [[ $DO_VENV -eq 1 ]]; then
    command -v "$PYTHON" >/dev/null || die "python '$PYTHON' not found (set PYTHON=)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || die "$PYTHON is $("$PYTHON" -V 2>&1); mcp needs Python >= 3.10 (set PYTHON=)"

    if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        if [[ -e "$VENV" ]]; then
            log "removing broken venv $VENV"
            rm -rf "$VENV"
        fi
        log "creating venv $VENV with $("$PYTHON" -V 2>&1)"
        "$PYTHON" -m venv "$VENV"
    fi

    # Stamp = requirements.txt contents + the venv interpreter's version.
    want="$( { cat "$REQUIREMENTS"; "$VENV/bin/python" -VV; } | sha256sum | cut -d' ' -f1)"
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
        log "venv: requirements up to date"
    else
        log "installing $(basename "$REQUIREMENTS") into $VENV"
        rm -f "$STAMP"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
        printf '%s\n' "$want" >"$STAMP"
        log "venv ready: $("$VENV/bin/python" -c 'import importlib.metadata as m; print("mcp", m.version("mcp"))')"
    fi
fi

# 3. Local package index -----------------------------------------------------
"$REPO_ROOT/scripts/build-test-wheel.sh"

# 4. Docker test images ------------------------------------------------------
if [[ $DO_IMAGES -eq 1 ]]; then
    "$REPO_ROOT/scripts/test-images.sh"
fi

# 5. Headless browser -------------------------------------------------------
if [[ $DO_BROWSER -eq 1 ]]; then
    if command -v chromium >/dev/null && [[ -x /usr/bin/chromedriver ]]; then
        log "chromium and chromedriver: present"
    else
        apt_install "the dashboard's browser tests; takes a minute or two" chromium chromium-driver
        log "chromium ready: $(chromium --version 2>/dev/null || echo unknown)"
    fi
fi

# 6. Static and cross builds ------------------------------------------------
if [[ $DO_CROSS -eq 1 ]]; then
    if command -v musl-gcc >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; then
        log "musl-tools, gcc-aarch64-linux-gnu, qemu-user-static: present"
    else
        apt_install "the static image binary and the arm64 build" musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
    fi
    rust_targets x86_64-unknown-linux-musl aarch64-unknown-linux-musl
fi

# 7. A local image registry -------------------------------------------------
# Debian's `docker-registry` (the CNCF distribution registry); the engine
# management tests start it on loopback to pull from.
if command -v docker-registry >/dev/null; then
    log "docker-registry: present"
else
    apt_install "the engine management tests' local registry" docker-registry
fi
# The package starts a registry on :5000 as a service; the tests run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry >/dev/null 2>&1 || true
fi

log "done"
