# syntax=docker/dockerfile:1
# The upr-tc service: one static-ish binary on Debian slim. SQLite is bundled and libpq is built
# from source (pq-sys `bundled`), so the image needs no database client libraries, only libssl.
#
#   docker build -t upr-tc .
#   docker run -p 8080:8080 -v upr-tc-data:/data upr-tc            # SQLite in the /data volume
#   docker run --rm -e UPR_TC_JWT_SECRET=... upr-tc token --role admin

FROM rust:1-bookworm AS builder
# Already in the image; listed because the build needs them (openssl-sys for libpq's TLS).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the build between image builds; the binary is copied out
# of the cache mount so the next stage can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p upr-tc \
    && install -D -m 0755 target/release/upr-tc /out/upr-tc

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 upr-tc \
    && useradd --system --uid 10001 --gid upr-tc --home-dir /data --shell /usr/sbin/nologin upr-tc \
    && install -d -o upr-tc -g upr-tc -m 0750 /data
COPY --from=builder /out/upr-tc /usr/local/bin/upr-tc

# Without UPR_TC_JWT_SECRET (or UPR_TC_JWT_JWKS) and with SQLite, a secret is generated and
# kept beside the database in /data.
ENV DATABASE_URL=sqlite:///data/upr-tc.sqlite3 \
    UPR_TC_BIND=0.0.0.0:8080 \
    UPR_TC_LOG_FORMAT=json
USER upr-tc
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["upr-tc"]
CMD ["serve"]
