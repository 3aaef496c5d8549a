# storygate container image: built with CMake on Debian 12, run from a slim Debian 12 with only the runtime libraries,
# as the unprivileged uid/gid 65532. Build: docker build -t storygate:dev .
# The Deployment (deploy/base/manager/deployment.yaml) runs `storygate serve --config /etc/storygate/config.yaml`.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libh2o-evloop-dev libssl-dev libyajl-dev libyaml-dev liblmdb-dev libcurl4-openssl-dev libpcre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY include/ include/
COPY src/ src/
COPY schemas/ schemas/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSG_TESTS=OFF -DSG_BENCH=OFF \
 && cmake --build build --target storygate -j"$(nproc)" \
 && strip build/storygate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libh2o-evloop0.13 libssl3 libyajl2 libyaml-0-2 liblmdb0 libcurl4 libpcre2-8-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/storygate/tls /var/lib/storygate \
 && chown 65532:65532 /var/lib/storygate
COPY --from=build /src/build/storygate /usr/local/bin/storygate
COPY schemas/ /usr/share/storygate/crds/
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/usr/local/bin/storygate", "serve"]
