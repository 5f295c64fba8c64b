# Loam in a container: `docker build -t loam .`, then, in a garden's folder,
#   docker run --rm -v "$PWD":/garden loam build                       the site into ./public
#   docker run --rm -v "$PWD":/garden -p 1111:1111 loam serve --bind 0.0.0.0
# (serving beyond the container's loopback takes a sync token: -e LOAM_TOKEN=… of at least 32 characters).

# The build: Rust with a C compiler (ring, mimalloc), from the lock file.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY templates templates
COPY static static
RUN cargo build --release --locked --bin loam

# The image: the binary, the system's certificate authorities (wss:// peers) and git (the author's name), and a
# user that is not root.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 loam
COPY --from=build /src/target/release/loam /usr/local/bin/loam
USER loam
WORKDIR /garden
EXPOSE 1111
ENTRYPOINT ["loam"]
CMD ["build"]
