# boxoffice as one container: built into a single binary in the official Deno image, run as a
# non-root user on a distroless base (no shell, no package manager). See README "Docker".

# ---- build: deno compile (needs the npm registry and dl.deno.land for denort)
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so editing the code does not refetch them.
COPY deno.json deno.lock deps.ts ./
RUN deno install --frozen-lockfile --entrypoint deps.ts
COPY . .
RUN deno task compile \
 && mkdir -p /out/data \
 && cp dist/boxoffice /out/boxoffice

# ---- run
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/boxoffice /usr/local/bin/boxoffice
# DATA_DIR holds demo mode's generated JWT secret; owned by the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
ENV PORT=8000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
EXPOSE 8000
USER 65532:65532
# No curl in distroless: the binary checks itself (GET /api/health on PORT).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/boxoffice", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/boxoffice"]
