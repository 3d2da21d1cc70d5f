# The three images of media-orchestrator from one build of the jar: one build stage, then a target
# per role on one Debian 12 + JRE 17 base (so the base, ffmpeg and the jar's layers are shared).
#
#   docker build --target orchestrator     -t media-orchestrator:local .
#   docker build --target burner-ffmpeg    -t burner-ffmpeg:local .
#   docker build --target media-downloader -t media-downloader:local .
#
# docker-compose.yml builds the same targets; scripts/verify-images builds them and runs a smoke
# test (a burn with a non-ASCII hint text, a download from a URL with a non-ASCII path).
#
# Every image: LANG=C.UTF-8 (the runners refuse to start without a UTF-8 locale), a non-root user
# `app` (uid 10001) with a writable HOME (/home/app: yt-dlp's and Deno's caches), the application
# in /app owned by root and read-only for that user, state in DATA_DIR=/var/lib/media-orchestrator.
# The runner images leave out the embedded S3 server's jars (S3Proxy, Guava, Jackson 3): only the
# orchestrator without R2_S3_ENDPOINT uses them (pom.xml, profile embedded-s3).
#
# Build arguments of the downloader (change a version and its checksums together):
#   YTDLP_VERSION   yt-dlp from PyPI, pinned: rebuild with a newer one when sites change
#   YTDLP_EXTRAS    pip extras of yt-dlp: "default" (yt-dlp-ejs for YouTube, curl-cffi, ...);
#                   empty for plain yt-dlp where a package index has no yt-dlp-ejs
#   DENO_VERSION, DENO_SHA512_AMD64, DENO_SHA512_ARM64
#                   Deno, the JavaScript runtime yt-dlp uses for YouTube, from Deno's own packages
#                   in the npm registry (@deno/linux-x64-glibc, @deno/linux-arm64-glibc), checked
#                   against the sha512 of the package; "none" leaves Deno out
#   MIHOMO_VERSION  mihomo release for Clash proxies (GitHub releases); "none" leaves it out (a job
#                   that needs a Clash proxy then fails saying mihomo is missing)
#   PIP_INDEX_URL   another package index for pip (a mirror)
# The architecture (mihomo, Deno) is BuildKit's TARGETARCH, or on the classic builder, which
# leaves it empty, the build machine's own (dpkg --print-architecture).

ARG YTDLP_VERSION=2026.10.26
ARG YTDLP_EXTRAS=default
ARG DENO_VERSION=2.9.6
ARG DENO_SHA512_AMD64=de67784ca2c2bb3b0b0e67cea02e4a37b34065ac525643209bae2f83a7e80f4d090400c2a584b6ff942a5dfce09cfe59433de22cff6f05026d120735d7a380a1
ARG DENO_SHA512_ARM64=a68aa1a07f41de7625a2280430f4f9b7c1d8fb005e8ae79ad409f943b7ea809ccfd126265aca12fe852758efe9122038a1fcc8072d4496dfe29f9f312adc44a1
ARG MIHOMO_VERSION=v1.19.24

# ---- build: the jar once; lib/ (every role) and lib-runner/ (the runners: no embedded S3) ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# dependencies first, so that a source change does not download them all again
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
# package runs the enforcer rules (one version of each library) too. The runners' classpath is what
# Maven resolves without S3Proxy (-Drunners-only); every jar of it must be the very jar of lib/.
RUN mvn -B -q -Dmaven.test.skip=true package \
 && mvn -B -q -Drunners-only dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory=target/lib-runner \
 && for f in target/lib-runner/*.jar; do \
      cmp -s "$f" "target/lib/${f##*/}" || { echo "runner classpath: ${f##*/} is not in lib/" >&2; exit 1; }; \
    done \
 && echo "classpath: $(ls target/lib | wc -l) jars for the orchestrator, $(ls target/lib-runner | wc -l) for the runners"

# ---- runtime: Debian 12, JRE 17, the user, LANG ----
FROM debian:bookworm-slim AS runtime
ENV LANG=C.UTF-8
# the slim image has no /usr/share/man/man1, where the JRE's postinst links its man pages
# (update-alternatives fails without it)
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
 && install -d -o app -g app -m 0750 /var/lib/media-orchestrator
ENV HOME=/home/app \
    HOST=0.0.0.0 \
    DATA_DIR=/var/lib/media-orchestrator
WORKDIR /app

# ---- the orchestrator: jobs API, mirroring, dispatch, completion, callbacks (port 8787) ----
FROM runtime AS orchestrator
# the jar's manifest class path is lib/, next to the jar; root owns both, the app only reads them
COPY --from=build /src/target/lib/ /app/lib/
COPY --from=build /src/target/media-orchestrator.jar /app/media-orchestrator.jar
ENV ROLES=orchestrator \
    PORT=8787 \
    MEDIA_DIR=/var/lib/media-orchestrator/media
USER app
EXPOSE 8787
# Liveness (docs/operations.md): 200 while Camel runs. Readiness (/health/ready) also needs the
# bucket and the runners: that is for routing traffic, not for restarting the container.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health/live" || exit 1
CMD ["java", "-jar", "/app/media-orchestrator.jar"]

# ---- what both runners have: ffmpeg ----
FROM runtime AS runner-tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

# ---- burner-ffmpeg: the burner runner alone (ROLES=burner), port 8080 ----
FROM runner-tools AS burner-ffmpeg
RUN apt-get update \
 && apt-get install -y --no-install-recommends fontconfig fonts-noto-cjk fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && fc-cache -f \
 && fc-list | grep -q "Noto Sans CJK SC"
COPY --from=build /src/target/lib-runner/ /app/lib/
COPY --from=build /src/target/media-orchestrator.jar /app/media-orchestrator.jar
# RUNNER_WORK_DIR holds each job's temp files (removed after every job)
ENV ROLES=burner \
    PORT=8080 \
    RUNNER_WORK_DIR=/tmp/burner-jobs
USER app
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/healthz" || exit 1
CMD ["java", "-jar", "/app/media-orchestrator.jar"]

# ---- the downloader's binaries for the real architecture: mihomo, Deno ----
FROM runtime AS fetch
ARG MIHOMO_VERSION
ARG DENO_VERSION
ARG DENO_SHA512_AMD64
ARG DENO_SHA512_ARM64
# set by BuildKit from --platform; empty on the classic builder. amd64 takes mihomo's "compatible"
# build, which runs on any x86-64 CPU.
ARG TARGETARCH
RUN set -eu; \
    arch="${TARGETARCH:-$(dpkg --print-architecture)}"; \
    mkdir -p /out; \
    if [ "$MIHOMO_VERSION" = none ]; then \
      echo "MIHOMO_VERSION=none: no mihomo in this image"; \
    else \
      case "$arch" in \
        amd64) m=amd64-compatible ;; \
        arm64) m=arm64 ;; \
        arm|armhf) m=armv7 ;; \
        *) echo "no mihomo build for architecture $arch" >&2; exit 1 ;; \
      esac; \
      echo "mihomo ${MIHOMO_VERSION} for $arch: mihomo-linux-$m"; \
      curl -fsSL -o /tmp/mihomo.gz \
        "https://github.com/MetaCubeX/mihomo/releases/download/${MIHOMO_VERSION}/mihomo-linux-${m}-${MIHOMO_VERSION}.gz"; \
      gunzip /tmp/mihomo.gz; \
      install -m 0755 /tmp/mihomo /out/mihomo; \
      /out/mihomo -v; \
    fi; \
    if [ "$DENO_VERSION" = none ]; then \
      echo "DENO_VERSION=none: no JavaScript runtime in this image (yt-dlp cannot solve YouTube's challenges)"; \
    else \
      case "$arch" in \
        amd64) d=linux-x64-glibc; sum="$DENO_SHA512_AMD64" ;; \
        arm64) d=linux-arm64-glibc; sum="$DENO_SHA512_ARM64" ;; \
        *) echo "no Deno build for architecture $arch" >&2; exit 1 ;; \
      esac; \
      echo "deno ${DENO_VERSION} for $arch: @deno/$d"; \
      curl -fsSL -o /tmp/deno.tgz "https://registry.npmjs.org/@deno/${d}/-/${d}-${DENO_VERSION}.tgz"; \
      echo "$sum  /tmp/deno.tgz" | sha512sum -c -; \
      tar -xzf /tmp/deno.tgz -C /tmp package/deno; \
      install -m 0755 /tmp/package/deno /out/deno; \
      /out/deno --version; \
    fi; \
    rm -rf /tmp/*

# ---- media-downloader: the downloader runner alone (ROLES=downloader), port 8100 as in compose ----
FROM runner-tools AS media-downloader
ARG YTDLP_VERSION
ARG YTDLP_EXTRAS
ARG PIP_INDEX_URL=https://pypi.org/simple
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/yt-dlp \
 && /opt/yt-dlp/bin/pip install --no-cache-dir --disable-pip-version-check \
      "yt-dlp${YTDLP_EXTRAS:+[$YTDLP_EXTRAS]}==${YTDLP_VERSION}" \
 && ln -s /opt/yt-dlp/bin/yt-dlp /usr/local/bin/yt-dlp \
 && yt-dlp --version
COPY --from=fetch /out/ /usr/local/bin/
COPY --from=build /src/target/lib-runner/ /app/lib/
COPY --from=build /src/target/media-orchestrator.jar /app/media-orchestrator.jar
# RUNNER_WORK_DIR holds each job's temp files and its mihomo config (removed after every job)
ENV ROLES=downloader \
    PORT=8100 \
    RUNNER_WORK_DIR=/tmp/downloader-jobs \
    YTDLP_BIN=/usr/local/bin/yt-dlp \
    MIHOMO_BIN=/usr/local/bin/mihomo
USER app
EXPOSE 8100
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/healthz" || exit 1
CMD ["java", "-jar", "/app/media-orchestrator.jar"]
