#!/usr/bin/env bash
# test-images.sh — build, from local material only, the Docker images that
# Portcullis' container tests use. No image registry is needed (nothing is
# pulled); only the Debian package mirror and PyPI (for the pip wheel) are used,
# and only on the first build.
#
#   portcullis-test/python:3   Debian bookworm minbase rootfs (debootstrap) with
#                              python3, ca-certificates, procps, and pip unpacked
#                              from the PyPI wheel into /usr/lib/python3/dist-packages
#                              (so `python3 -m pip` works offline). /workspace is
#                              the WORKDIR, CMD is `sleep infinity`. Debian's
#                              EXTERNALLY-MANAGED marker is removed so
#                              `python3 -m pip install …` works in tests, and
#                              /etc/pip.conf trusts host.docker.internal and
#                              172.17.0.1 as plain-HTTP index hosts.
#   portcullis-test/busybox:1  /bin/busybox from Debian's busybox-static package
#                              plus a symlink for every applet; CMD `sleep infinity`.
#   portcullis-test/mcp-upstream:1
#                              python:3 plus MCP upstream servers (the fixture
#                              everything_server.py, mcp-server-fetch, mcp-server-git
#                              and git), built by scripts/test-image-upstream.sh, which
#                              documents its entry points.
#
# Idempotent: an image that already exists with the current recipe label is left
# alone (checked with `docker image inspect`). Root filesystem tarballs are cached
# in ${XDG_CACHE_HOME:-$HOME/.cache}/portcullis/ so re-imports (e.g. after
# `docker image prune -a`) take seconds. Bump RECIPE below when changing how an
# image is built; stale images and cache entries are then rebuilt.
#
# Usage: scripts/test-images.sh [--force] [--no-cache] [--verify]
#   --force     re-import the images even if they exist (reuses cached rootfs tarballs
#               and downloads)
#   --no-cache  also rebuild the cached rootfs tarballs (implies --force)
#   --verify    run the smoke checks even if nothing was built
# Env: PORTCULLIS_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      PYTHON (host interpreter with pip, used to download the pip wheel; default python3).
# Needs root (or passwordless sudo) for apt-get and debootstrap on the first build.
set -euo pipefail

log() { printf '[test-images] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Bump to invalidate existing images and cached rootfs tarballs.
RECIPE=1
LABEL_KEY=dev.portcullis.test-image.recipe

PYTHON_IMAGE=portcullis-test/python:3
BUSYBOX_IMAGE=portcullis-test/busybox:1
SUITE=bookworm
MIRROR="${PORTCULLIS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/portcullis"
HOST_PYTHON="${PYTHON:-python3}"

FORCE=0
NO_CACHE=0
VERIFY=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        --no-cache) FORCE=1; NO_CACHE=1 ;;
        --verify) VERIFY=1 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $arg (see --help)" ;;
    esac
done

SUDO=()
if [[ $EUID -ne 0 ]]; then
    SUDO=(sudo)
fi
as_root() { "${SUDO[@]}" "$@"; }

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon"

# Current if it exists and carries this script's recipe label.
image_current() {
    local label
    label="$(docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null)" || return 1
    [[ "$label" == "$RECIPE" ]]
}

ARCH="$(dpkg --print-architecture 2>/dev/null || true)"
[[ -n "$ARCH" ]] || die "dpkg not found: this script expects a Debian/Ubuntu host"

WORK=""
cleanup() {
    [[ -n "$WORK" && -d "$WORK" ]] || return 0
    # debootstrap may leave /proc, /sys, /dev/pts mounted inside the rootfs if it
    # was interrupted; unmount them before deleting so rm can never reach the host.
    local m
    while read -r m; do
        as_root umount -l "$m" 2>/dev/null || true
    done < <(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r)
    as_root rm -rf --one-file-system "$WORK"
    WORK=""
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

new_workdir() {
    cleanup
    WORK="$(mktemp -d "$CACHE_DIR/build.XXXXXX")"
    chmod 755 "$WORK"
}

apt_install() {
    log "installing $* with apt-get"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
        log "apt-get install failed; running apt-get update and retrying"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}

ensure_debootstrap() {
    if [[ -x /usr/sbin/debootstrap ]] && [[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
        return 0
    fi
    apt_install debootstrap debian-archive-keyring
}

docker_import() { # TARBALL IMAGE
    local tarball="$1" image="$2" old_id new_id
    old_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    log "importing $image from $tarball"
    docker import \
        --change 'CMD ["sleep","infinity"]' \
        --change 'WORKDIR /workspace' \
        --change "ENV PATH=$IMAGE_PATH" \
        --change 'ENV LANG=C.UTF-8' \
        --change "LABEL $LABEL_KEY=$RECIPE" \
        --message "built by portcullis scripts/test-images.sh (recipe $RECIPE)" \
        "$tarball" "$image" >/dev/null
    new_id="$(docker image inspect --format '{{.Id}}' "$image")"
    if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------- python:3

build_python_rootfs() { # OUT_TARBALL
    local out="$1" root pyver wheel
    ensure_debootstrap
    command -v "$HOST_PYTHON" >/dev/null || die "host python '$HOST_PYTHON' not found (set PYTHON=)"
    HOST_PYTHON="$(command -v "$HOST_PYTHON")"
    new_workdir
    root="$WORK/rootfs"

    log "debootstrap $SUITE minbase (python3, ca-certificates, procps) from $MIRROR — takes a few minutes"
    if ! as_root /usr/sbin/debootstrap --variant=minbase --include=python3,ca-certificates,procps \
        "$SUITE" "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
        tail -n 40 "$WORK/debootstrap.log" >&2 || true
        as_root tail -n 40 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
        die "debootstrap failed"
    fi

    # pip, without network access inside the container: unpack the wheel (a
    # zip with no compiled parts) into Debian's dist-packages directory.
    pyver="$(readlink "$root/usr/bin/python3")"  # e.g. python3.11
    pyver="${pyver#python}"
    [[ "$pyver" =~ ^3\.[0-9]+$ ]] || die "cannot tell the rootfs python version (got '$pyver')"
    log "downloading the pip wheel for Python $pyver from PyPI"
    "$HOST_PYTHON" -m pip download --quiet pip --no-deps --only-binary=:all: \
        --python-version "$pyver" --dest "$WORK/pip" >&2
    wheel="$(find "$WORK/pip" -maxdepth 1 -name 'pip-*-py3-none-any.whl' | head -n 1)"
    [[ -n "$wheel" ]] || die "pip wheel download produced no pip-*-py3-none-any.whl"
    log "unpacking $(basename "$wheel") into /usr/lib/python3/dist-packages"
    as_root "$HOST_PYTHON" -m zipfile -e "$wheel" "$root/usr/lib/python3/dist-packages/"
    # Byte-compile pip so each `python3 -m pip` in a test doesn't pay for it.
    as_root chroot "$root" /usr/bin/python3 -m compileall -q /usr/lib/python3/dist-packages/pip >/dev/null \
        || log "warning: could not byte-compile pip (harmless)"
    # This is a throw-away test image: let `pip install` write to the system
    # site-packages (PEP 668 would otherwise refuse with externally-managed-environment).
    as_root find "$root/usr/lib" -maxdepth 2 -name EXTERNALLY-MANAGED -path '*/python3*' -delete
    # trusted-host: tests serve a plain-HTTP index from the host (see
    # scripts/check-test-env.sh); pip ignores non-HTTPS, non-localhost indexes
    # unless trusted. 172.17.0.1 is Docker's default docker0 gateway.
    as_root tee "$root/etc/pip.conf" >/dev/null <<'EOF'
[global]
disable-pip-version-check = true
root-user-action = ignore
no-cache-dir = true
trusted-host =
    host.docker.internal
    172.17.0.1
EOF

    as_root mkdir -p "$root/workspace"
    as_root chmod 755 "$root/workspace"
    # Keep the image small: apt caches/lists, docs, man pages, translations, logs.
    # shellcheck disable=SC2016  # $1 is expanded by the inner sh
    as_root sh -c '
        set -e
        cd "$1"
        rm -rf var/cache/apt/archives/*.deb var/cache/apt/archives/partial/* var/cache/apt/*.bin \
               var/lib/apt/lists/* var/cache/debconf/*-old var/lib/dpkg/*-old \
               usr/share/man/* usr/share/info/* var/log/apt/* var/log/*.log
        find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        find usr/share/doc -mindepth 1 -depth -type d -empty -delete
        find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        printf "localhost\n" > etc/hostname
    ' sh "$root"

    # Nothing may still be mounted inside the rootfs when we tar it.
    if awk -v r="$root/" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        die "filesystems still mounted under $root"
    fi
    log "packing rootfs into $out"
    as_root tar --numeric-owner --xattrs -C "$root" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        -cf "$out.partial" .
    as_root mv -f "$out.partial" "$out"
    cleanup
}

ensure_python_image() {
    local tarball="$CACHE_DIR/python3-$SUITE-$ARCH-r$RECIPE.tar"
    if [[ $FORCE -eq 0 ]] && image_current "$PYTHON_IMAGE"; then
        log "$PYTHON_IMAGE: present"
        return 0
    fi
    if [[ $NO_CACHE -eq 1 || ! -s "$tarball" ]]; then
        build_python_rootfs "$tarball"
    else
        log "using cached rootfs $tarball"
    fi
    docker_import "$tarball" "$PYTHON_IMAGE"
    BUILT=1
}

# --------------------------------------------------------------- busybox:1

build_busybox_rootfs() { # OUT_TARBALL
    local out="$1" root deb applet
    new_workdir
    root="$WORK/rootfs"
    log "downloading busybox-static from the Debian mirror (apt-get download)"
    if ! (cd "$WORK" && apt-get download -qq -o APT::Sandbox::User=root busybox-static >/dev/null); then
        log "apt-get download failed; running apt-get update and retrying"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        (cd "$WORK" && apt-get download -qq -o APT::Sandbox::User=root busybox-static >/dev/null)
    fi
    deb="$(find "$WORK" -maxdepth 1 -name 'busybox-static_*.deb' | head -n 1)"
    [[ -n "$deb" ]] || die "apt-get download produced no busybox-static .deb"
    dpkg-deb -x "$deb" "$WORK/pkg"

    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,workspace,dev,proc,sys}
    chmod 1777 "$root/tmp" "$root/var/tmp"
    chmod 700 "$root/root"
    install -m 755 "$WORK/pkg/bin/busybox" "$root/bin/busybox"
    # Equivalent of `busybox --install -s`, done on the host. busybox-static
    # matches the host architecture (dpkg's), so it can run here.
    while read -r applet; do
        [[ -n "$applet" && "$applet" != bin/busybox ]] || continue
        [[ -e "$root/$applet" || -L "$root/$applet" ]] && continue
        mkdir -p "$(dirname "$root/$applet")"
        ln -s /bin/busybox "$root/$applet"
    done < <("$root/bin/busybox" --list-full)
    [[ -L "$root/bin/sh" && -L "$root/bin/sleep" ]] || die "busybox applet links missing (bin/sh, bin/sleep)"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
    printf 'localhost\n' >"$root/etc/hostname"
    install -D -m 644 "$WORK/pkg/usr/share/doc/busybox-static/copyright" "$root/usr/share/doc/busybox-static/copyright"

    log "packing rootfs into $out"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out.partial" .
    mv -f "$out.partial" "$out"
    cleanup
}

ensure_busybox_image() {
    local tarball="$CACHE_DIR/busybox-$ARCH-r$RECIPE.tar"
    if [[ $FORCE -eq 0 ]] && image_current "$BUSYBOX_IMAGE"; then
        log "$BUSYBOX_IMAGE: present"
        return 0
    fi
    if [[ $NO_CACHE -eq 1 || ! -s "$tarball" ]]; then
        build_busybox_rootfs "$tarball"
    else
        log "using cached rootfs $tarball"
    fi
    docker_import "$tarball" "$BUSYBOX_IMAGE"
    BUILT=1
}

# ------------------------------------------------------------------ verify

verify_images() {
    local out
    log "verifying $PYTHON_IMAGE"
    out="$(docker run --rm --network none "$PYTHON_IMAGE" python3 -c 'import sys; print(sys.version)')" \
        || die "$PYTHON_IMAGE: python3 does not run"
    log "  python3: ${out%%$'\n'*}"
    out="$(docker run --rm --network none "$PYTHON_IMAGE" python3 -m pip --version)" \
        || die "$PYTHON_IMAGE: python3 -m pip does not run"
    log "  $out"
    docker run --rm --network none "$PYTHON_IMAGE" sh -c \
        'test "$(pwd)" = /workspace && command -v sleep kill ps >/dev/null && ps -o pid= -p 1 >/dev/null' \
        || die "$PYTHON_IMAGE: sh/sleep/kill/ps or /workspace missing"
    log "verifying $BUSYBOX_IMAGE"
    out="$(docker run --rm --network none "$BUSYBOX_IMAGE" sh -c 'echo ok')" || true
    [[ "$out" == ok ]] || die "$BUSYBOX_IMAGE: sh -c 'echo ok' printed '$out'"
    docker run --rm --network none "$BUSYBOX_IMAGE" sh -c 'command -v sleep kill ps >/dev/null && test -d /workspace' \
        || die "$BUSYBOX_IMAGE: sleep/kill/ps or /workspace missing"
    log "images OK"
}

# -------------------------------------------------------------------- main

mkdir -p "$CACHE_DIR"
# Serialise concurrent runs (e.g. parallel test jobs calling this script).
exec 9>"$CACHE_DIR/test-images.lock"
if command -v flock >/dev/null; then
    flock 9
fi

# (Called plainly, not in `if`, so that set -e stays in force inside them.)
BUILT=0
ensure_python_image
ensure_busybox_image

if [[ $BUILT -eq 1 || $VERIFY -eq 1 ]]; then
    verify_images
fi

# Built on top of python:3 (it rebuilds by itself when python:3 changed).
upstream_args=()
if [[ $FORCE -eq 1 ]]; then upstream_args+=(--force); fi
if [[ $VERIFY -eq 1 ]]; then upstream_args+=(--verify); fi
"$(dirname "${BASH_SOURCE[0]}")/test-image-upstream.sh" "${upstream_args[@]}"
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^portcullis-test/' >&2 || true
