#!/usr/bin/env bash
# static-binary.sh — builds a statically linked (musl) `portcullis` for
# x86_64 or aarch64 Linux and prints its path on stdout; progress goes to
# stderr. The x86_64 build uses Debian's musl-tools for the C parts (SQLite,
# ring); the aarch64 build is a cross build with Debian's gcc-aarch64-linux-gnu
# as C compiler and linker (the Rust musl target brings its own libc).
# scripts/setup.sh installs both and the Rust targets.
#
# Usage: scripts/static-binary.sh [x86_64|aarch64] [PROFILE]
#   CARGO_TARGET_DIR is honoured (default: target/), so that the build can
#   run beside another cargo that holds target/'s lock.
#   PROFILE defaults to `release` (what releases ship); the tests use
#   `image-test`, which compiles in a fraction of the time (Cargo.toml).
set -euo pipefail

log() { printf '[static-binary] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCH="${1:-x86_64}"
PROFILE="${2:-release}"
TARGET="$ARCH-unknown-linux-musl"
TARGET_ENV="${TARGET//-/_}"

case "$ARCH" in
    x86_64) CC_BIN=musl-gcc ;;
    aarch64) CC_BIN=aarch64-linux-gnu-gcc ;;
    *) die "unknown architecture '$ARCH' (x86_64 or aarch64)" ;;
esac
command -v "$CC_BIN" >/dev/null || die "$CC_BIN is missing: run scripts/setup.sh"
rustup target list --installed | grep -qx "$TARGET" || die "the Rust target $TARGET is missing: run scripts/setup.sh"

log "building portcullis for $TARGET (profile $PROFILE)"
cd "$REPO_ROOT"
export "CC_$TARGET_ENV=$CC_BIN"
if [[ $ARCH == aarch64 ]]; then
    export "CARGO_TARGET_${TARGET_ENV^^}_LINKER=$CC_BIN"
    # The cross compiler's headers are glibc's, whose large-file mode renames
    # open, stat, mmap… to open64, stat64…, which musl no longer has; on a
    # 64-bit target off_t is 64 bits anyway, so SQLite needs no such mode.
    export LIBSQLITE3_FLAGS="-DSQLITE_DISABLE_LFS"
fi
cargo build --locked -p portcullis --target "$TARGET" --profile "$PROFILE" >&2
dir="$PROFILE"
[[ $PROFILE == dev ]] && dir=debug
binary="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/$TARGET/$dir/portcullis"
if readelf -l "$binary" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    die "$binary is dynamically linked; an image FROM scratch cannot run it"
fi
printf '%s\n' "$binary"
