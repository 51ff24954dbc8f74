# Portcullis as a container: a stdio MCP server by default (`docker run -i`),
# reachable with `docker exec -i` in a detached container, or HTTP with
# `serve --http 0.0.0.0:8808`. One statically linked binary on an empty base
# (no shell, no libc, nothing else to patch), run as a non-root user, working
# with a read-only root filesystem (`--read-only --tmpfs /tmp`).
#
#   docker build -t portcullis .
#   docker run -i --rm --read-only --tmpfs /tmp -v /var/run/docker.sock:/var/run/docker.sock portcullis
#
#   docker run -d --name portcullis --read-only --tmpfs /tmp portcullis
#   echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | docker exec -i portcullis portcullis serve
#
# The Docker socket is only needed for the sandbox tools; without it the host
# starts and serves the other plugins, and check_engine says what is missing.
# The compile cache lives in /tmp (a volume at PORTCULLIS_CACHE_DIR keeps it),
# the state database in the volume /data (PORTCULLIS_STATE_DIR).
#
# Build arguments:
#   VERSION          the image's version label (org.opencontainers.image.version)
#   RUST_IMAGE       the build stage's base: the official Rust image on Alpine,
#                    whose native target is musl, so `docker buildx build
#                    --platform linux/amd64,linux/arm64 .` builds each natively
#   PREBUILT_BINARY  a static binary in the build context to use instead of
#                    compiling (release scripts and the tests, which cannot
#                    pull RUST_IMAGE, pass one: scripts/build-image.sh)
# The legacy builder (DOCKER_BUILDKIT=0) builds it as well as BuildKit.

ARG RUST_IMAGE=docker.io/library/rust:1.95-alpine

FROM ${RUST_IMAGE} AS build
ARG PREBUILT_BINARY=
WORKDIR /src
COPY . .
RUN set -eu; \
    if [ -n "$PREBUILT_BINARY" ]; then \
        cp "$PREBUILT_BINARY" /portcullis; \
    else \
        apk add --no-cache musl-dev; \
        rustup target add wasm32-wasip2; \
        CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked -p portcullis; \
        cp target/release/portcullis /portcullis; \
    fi; \
    chmod 0755 /portcullis; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/data; \
    mv /portcullis /rootfs/usr/local/bin/portcullis; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    echo 'nonroot:x:65532:65532:nonroot:/data:/sbin/nologin' >/rootfs/etc/passwd; \
    echo 'nonroot:x:65532:' >/rootfs/etc/group; \
    chmod 1777 /rootfs/tmp; \
    chown 65532:65532 /rootfs/data

# Nothing but the binary, CA certificates, the user's name, /tmp and /data.
FROM scratch
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Portcullis" \
      org.opencontainers.image.description="An extensible MCP host: WebAssembly plugins, Docker primitives, stdio and HTTP" \
      org.opencontainers.image.source="https://github.com/portcullis-mcp/portcullis" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /rootfs/ /
# The state directory, owned by the non-root user; a volume, so it is
# writable under --read-only and can outlive the container.
VOLUME /data
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PORTCULLIS_CACHE_DIR=/tmp/portcullis-cache \
    PORTCULLIS_STATE_DIR=/data \
    PORTCULLIS_WAIT_FOR_EXEC=true \
    LOG_LEVEL=info
USER 65532:65532
# Validates the configuration and loads the plugins (and asks /readyz when
# `http.bind` names a listener): exit 0 healthy, 1 not.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["portcullis", "health"]
ENTRYPOINT ["portcullis"]
CMD ["serve"]
