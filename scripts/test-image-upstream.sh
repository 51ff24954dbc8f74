#!/usr/bin/env bash
# test-image-upstream.sh — build portcullis-test/mcp-upstream:1, the image of MCP
# "upstream" servers that Portcullis runs in containers (attached stdio) in tests.
# Called by scripts/test-images.sh; nothing is pulled and the build container has
# no network: Python wheels are fetched on the host with `pip download` (for the
# image's Python version, glibc and architecture) and git's .debs with the host's
# apt (resolved against the image's own dpkg status), then installed offline.
#
# Image: portcullis-test/mcp-upstream:1, FROM portcullis-test/python:3 (Debian
# bookworm, python3). Default CMD is the fixture server on stdio, so
# `docker run -i --rm portcullis-test/mcp-upstream:1` speaks MCP on stdin/stdout.
# Entry points (all stdio MCP servers unless given a port):
#   python3 /opt/fixture/everything_server.py   tests/fixtures/upstream/everything_server.py
#       [--http PORT | --sse PORT] [--host 0.0.0.0]   (Streamable HTTP /mcp, SSE /sse;
#       inside a container bind 0.0.0.0); FIXTURE_* env switches: see the file's docstring
#   python3 -m mcp_server_fetch  |  mcp-server-fetch     PyPI mcp-server-fetch (tool `fetch`)
#   python3 -m mcp_server_git    |  mcp-server-git [--repository PATH]
#                                                        PyPI mcp-server-git, with /usr/bin/git
# Versions are pinned in REQUIREMENTS below (their dependencies are resolved on the
# first build and cached); mcp matches the 2.x line of tests/python/requirements.txt.
#
# Idempotent: the image carries a label with a hash of this script, the fixture
# server and the base image's id; when it matches nothing is done (one `docker
# image inspect`). Downloads are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/portcullis/.
#
# Usage: scripts/test-image-upstream.sh [--force] [--verify]
#   --force   rebuild even if the image is current (reuses the download caches)
#   --verify  run the smoke checks (initialize on each entry point) even if nothing was built
# Env: PYTHON  host interpreter with pip for `pip download` (default python3).
set -euo pipefail

log() { printf '[test-image-upstream] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=portcullis-test/mcp-upstream:1
BASE_IMAGE=portcullis-test/python:3
LABEL_KEY=dev.portcullis.test-image.recipe
FIXTURE="$REPO_ROOT/tests/fixtures/upstream/everything_server.py"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/portcullis"
HOST_PYTHON="${PYTHON:-python3}"
REQUIREMENTS='mcp==2.3.0
mcp-server-fetch==2026.10.24
mcp-server-git==2026.10.19'
DEBS=(git)

FORCE=0
VERIFY=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        --verify) VERIFY=1 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $arg (see --help)" ;;
    esac
done

command -v docker >/dev/null || die "docker CLI not found"
base_id="$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null)" \
    || die "$BASE_IMAGE is missing: run scripts/test-images.sh"
recipe="$(cat "${BASH_SOURCE[0]}" "$FIXTURE" <(printf '%s\n' "$base_id") | sha256sum | cut -c1-16)"

mkdir -p "$CACHE_DIR"
exec 8>"$CACHE_DIR/test-image-upstream.lock"
if command -v flock >/dev/null; then
    flock 8
fi

WORK=""
CID=""
cleanup() {
    if [[ -n "$CID" ]]; then docker rm -f "$CID" >/dev/null 2>&1 || true; fi
    if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Answers a typed initialize with a result naming its server? (offline container)
answers_initialize() { # CMD...
    local init out
    init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test-image-upstream","version":"0"}}}'
    out="$(printf '%s\n' "$init" | timeout 60 docker run -i --rm --network none "$IMAGE" "$@" 2>/dev/null | head -n 1)" || true
    if [[ "$out" == *'"id":1'*'"serverInfo"'* || "$out" == *'"serverInfo"'*'"id":1'* ]]; then
        log "  OK: $* ($(grep -o '"serverInfo":{[^}]*}' <<<"$out"))"
    else
        die "$IMAGE: '$*' did not answer initialize (got: ${out:0:300})"
    fi
}

verify() {
    log "verifying $IMAGE"
    answers_initialize python3 /opt/fixture/everything_server.py
    answers_initialize python3 -m mcp_server_fetch
    answers_initialize mcp-server-fetch
    answers_initialize python3 -m mcp_server_git
    docker run --rm --network none "$IMAGE" git --version >/dev/null || die "$IMAGE: git does not run"
    log "$IMAGE OK"
}

current="$(docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$IMAGE" 2>/dev/null || true)"
if [[ $FORCE -eq 0 && "$current" == "$recipe" ]]; then
    log "$IMAGE: present"
    if [[ $VERIFY -eq 1 ]]; then verify; fi
    exit 0
fi

started=$SECONDS
WORK="$(mktemp -d "$CACHE_DIR/upstream-build.XXXXXX")"

# ---- what the image's python needs: version, glibc, machine
read -r pyver glibc machine < <(docker run --rm --network none "$BASE_IMAGE" python3 -c \
    'import platform, sys; print("%d.%d" % sys.version_info[:2], platform.libc_ver()[1], platform.machine())')
[[ "$pyver" =~ ^3\.[0-9]+$ && "$glibc" =~ ^2\.[0-9]+$ ]] || die "cannot tell the base image's python/glibc ($pyver, $glibc)"

# ---- wheels (cached per requirements + target)
wheel_key="$(printf '%s\n' "$REQUIREMENTS" "$pyver" "$glibc" "$machine" | sha256sum | cut -c1-16)"
WHEELS="$CACHE_DIR/upstream-wheels-$wheel_key"
if [[ ! -f "$WHEELS/.complete" ]]; then
    command -v "$HOST_PYTHON" >/dev/null || die "host python '$HOST_PYTHON' not found (set PYTHON=)"
    log "downloading wheels for cp${pyver/./} glibc $glibc $machine from PyPI"
    rm -rf "$WHEELS" "$WHEELS.partial"
    platforms=()
    for ((minor = ${glibc#2.}; minor >= 17; minor--)); do
        platforms+=(--platform "manylinux_2_${minor}_${machine}")
    done
    platforms+=(--platform "manylinux2014_$machine" --platform "manylinux2010_$machine" \
        --platform "manylinux1_$machine" --platform "linux_$machine")
    # shellcheck disable=SC2086  # REQUIREMENTS is one requirement per line, no spaces
    "$HOST_PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        --python-version "$pyver" --implementation cp --abi "cp${pyver/./}" "${platforms[@]}" \
        --dest "$WHEELS.partial" $REQUIREMENTS >&2
    touch "$WHEELS.partial/.complete"
    mv "$WHEELS.partial" "$WHEELS"
else
    log "using cached wheels $WHEELS"
fi

# ---- git's .debs: the host's apt resolves them against the image's installed packages
docker run --rm --network none "$BASE_IMAGE" cat /var/lib/dpkg/status >"$WORK/status"
deb_key="$(cat "$WORK/status" <(printf '%s\n' "${DEBS[@]}") | sha256sum | cut -c1-16)"
DEBDIR="$CACHE_DIR/upstream-debs-$deb_key"
if [[ ! -f "$DEBDIR/.complete" ]]; then
    log "downloading ${DEBS[*]} and missing dependencies with apt-get (host lists, image's dpkg status)"
    rm -rf "$DEBDIR" "$DEBDIR.partial"
    mkdir -p "$DEBDIR.partial/partial"
    apt_download() {
        apt-get -qq -o Dir::State::status="$WORK/status" -o Dir::Cache::archives="$DEBDIR.partial/" \
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
            install --download-only --no-install-recommends -y "${DEBS[@]}" >/dev/null
    }
    if ! apt_download; then
        log "apt-get download failed; running apt-get update and retrying"
        if [[ $EUID -ne 0 ]]; then sudo apt-get update -qq >/dev/null; else apt-get update -qq >/dev/null; fi
        apt_download
    fi
    rm -rf "$DEBDIR.partial/partial" "$DEBDIR.partial/lock"
    compgen -G "$DEBDIR.partial/git_*.deb" >/dev/null || die "apt-get produced no git .deb"
    touch "$DEBDIR.partial/.complete"
    mv "$DEBDIR.partial" "$DEBDIR"
else
    log "using cached debs $DEBDIR"
fi

# ---- install offline in a container from the base image, then commit it
mkdir -p "$WORK/ctx"
cp "$FIXTURE" "$WORK/ctx/everything_server.py"
printf '%s\n' "$REQUIREMENTS" >"$WORK/ctx/requirements.txt"
log "installing into a container from $BASE_IMAGE (no network)"
CID="$(docker create --network none \
    -v "$WORK/ctx:/build/ctx:ro" -v "$WHEELS:/build/wheels:ro" -v "$DEBDIR:/build/debs:ro" \
    "$BASE_IMAGE" sh -euc '
        dpkg --force-unsafe-io -i /build/debs/*.deb >/dev/null  # no fsync: a throw-away layer
        python3 -m pip install --quiet --no-index --find-links /build/wheels --only-binary=:all: \
            -r /build/ctx/requirements.txt
        install -D -m 755 /build/ctx/everything_server.py /opt/fixture/everything_server.py
        python3 -m compileall -q /opt/fixture >/dev/null
        rm -rf /var/cache/apt/*.bin /var/log/dpkg.log /var/log/apt/* /root/.cache
        find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        rm -rf /usr/share/man/* /usr/share/info/*
    ')"
docker start -a "$CID" >&2 || die "installing into the container failed"
old_id="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
docker commit \
    --change 'CMD ["python3", "/opt/fixture/everything_server.py"]' \
    --change 'WORKDIR /workspace' \
    --change "LABEL $LABEL_KEY=$recipe" \
    --message "built by portcullis scripts/test-image-upstream.sh (recipe $recipe)" \
    "$CID" "$IMAGE" >/dev/null
new_id="$(docker image inspect --format '{{.Id}}' "$IMAGE")"
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $IMAGE in $((SECONDS - started))s"
verify
