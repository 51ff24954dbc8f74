# Portcullis as a container: stdio MCP server by default (`docker run -i`), or
# HTTP with `serve --http 0.0.0.0:8808`. Runs as a non-root user and works with
# a read-only root filesystem (`--read-only --tmpfs /tmp`); the compile cache
# lives in /tmp unless a volume is mounted at PORTCULLIS_CACHE_DIR, and the
# state database (servers added through the admin API, the activity log) in
# the volume /data (PORTCULLIS_STATE_DIR): mount one (`-v portcullis:/data`)
# to keep it across containers.
#
#   docker build -t portcullis .
#   docker run -i --rm --read-only --tmpfs /tmp -v /var/run/docker.sock:/var/run/docker.sock portcullis
#
# The Docker socket is only needed for the sandbox tools; without it the host
# starts and serves the other plugins, and check_engine says what is missing.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --release --locked -p portcullis \
 && strip target/release/portcullis \
 && cp target/release/portcullis /portcullis \
 && mkdir /data

# distroless/cc: glibc and libgcc only, no shell; a non-root user (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Portcullis" \
      org.opencontainers.image.description="An extensible MCP host: WebAssembly plugins, Docker primitives, stdio and HTTP" \
      org.opencontainers.image.source="https://github.com/portcullis-mcp/portcullis" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /portcullis /usr/local/bin/portcullis
# The state directory, owned by the non-root user; a volume, so it is
# writable under --read-only and can outlive the container.
COPY --from=build --chown=65532:65532 /data /data
VOLUME /data
ENV PORTCULLIS_CACHE_DIR=/tmp/portcullis-cache \
    PORTCULLIS_STATE_DIR=/data \
    LOG_LEVEL=info
USER nonroot
HEALTHCHECK --interval=30s --timeout=10s --retries=3 CMD ["/usr/local/bin/portcullis", "--version"]
ENTRYPOINT ["/usr/local/bin/portcullis"]
CMD ["serve"]
