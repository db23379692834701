# syntax=docker/dockerfile:1
# Natter: one image holding only the `natter` binary; the command picks the service.
#
#   docker build -t natter:local .
#   docker run --rm natter:local edge --help
#
# Runs as uid/gid 10001 (not root). Data (the embedded store) goes in the /data
# volume; token keys and push credentials are mounted read-only (see
# deploy/compose/). `natter dev` needs a nats-server binary, which this image lacks.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The caches speed up rebuilds; the binary is copied out of the cached target/.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release -p natter --locked \
 && install -D -m 0755 target/release/natter /out/natter

FROM debian:bookworm-slim
# CA certificates: push providers (FCM, APNs, Web Push) are reached over TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 natter \
 && useradd --system --uid 10001 --gid natter --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin natter \
 && install -d -o natter -g natter -m 0750 /data
COPY --from=build /out/natter /usr/local/bin/natter
# In a container the edge must listen on all interfaces (its default is 127.0.0.1);
# a store worker on the embedded store keeps it in the volume.
ENV NATTER_LISTEN=0.0.0.0:8080 \
    NATTER_STORE_DIR=/data/store
WORKDIR /data
VOLUME ["/data"]
# 8080: edge HTTP + WebSocket (and its /metrics); 9090: --metrics-listen of the others.
EXPOSE 8080 9090
USER 10001:10001
ENTRYPOINT ["natter"]
CMD ["--help"]
