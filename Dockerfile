# Multi-stage build: compile in the Rust image, run from a small Debian image as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Cache dependencies: build once against an empty crate, then the real sources.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && printf 'fn main() {}\n' > benches/poll_capacity.rs && printf 'fn main() {}\n' > benches/writer.rs \
    && cargo build --release --locked --bin trueyaw || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin trueyaw

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/trueyaw --create-home trueyaw
COPY --from=build /src/target/release/trueyaw /usr/local/bin/trueyaw
COPY config /etc/trueyaw
USER trueyaw
WORKDIR /var/lib/trueyaw
ENV TRUEYAW_STORAGE__SPOOL_DIR=/var/lib/trueyaw/spool
# tini forwards SIGTERM so the poller flushes its buffers on `docker stop`.
ENTRYPOINT ["/usr/bin/tini", "--", "trueyaw"]
CMD ["--help"]
