#!/usr/bin/env bash
# build-image.sh — builds the Portcullis image from the repository's
# Dockerfile on a machine that cannot pull images: a static binary built here
# (scripts/static-binary.sh) goes in as PREBUILT_BINARY, and the build stage
# runs on the local test image portcullis-test/python:3 (it only copies
# files there). The runtime stage is the Dockerfile's own, unchanged: the
# files, user, entrypoint, labels and health check users get. Uses the
# legacy builder (DOCKER_BUILDKIT=0), the one this engine has. Prints the
# image's tag on stdout.
#
# Usage: scripts/build-image.sh [--tag TAG] [--profile PROFILE] [--version VERSION]
#   --tag      default portcullis:local
#   --profile  the Cargo profile of the binary (default release; the tests use image-test)
#   --version  the VERSION build argument (default: the workspace version)
set -euo pipefail

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TAG=portcullis:local
PROFILE=release
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -n1)"
BUILDER=portcullis-test/python:3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --tag) TAG="$2"; shift 2 ;;
        --profile) PROFILE="$2"; shift 2 ;;
        --version) VERSION="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

docker image inspect "$BUILDER" >/dev/null 2>&1 || die "$BUILDER is missing: run scripts/test-images.sh"
binary="$("$REPO_ROOT/scripts/static-binary.sh" x86_64 "$PROFILE")"

# The context holds the binary alone: nothing else of the checkout is needed.
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/portcullis"
log "building $TAG (version $VERSION) from $REPO_ROOT/Dockerfile"
DOCKER_BUILDKIT=0 docker build --quiet -t "$TAG" -f "$REPO_ROOT/Dockerfile" \
    --build-arg "RUST_IMAGE=$BUILDER" --build-arg PREBUILT_BINARY=portcullis --build-arg "VERSION=$VERSION" \
    "$context" >&2
printf '%s\n' "$TAG"
