# syntax=docker/dockerfile:1
# The credential service image. Three stages: `build` bundles the service with the full dev
# toolchain, `deps` installs only the production dependencies (better-sqlite3 is native, so this
# stage keeps the compilers it may need), and the runtime stage is a slim Node 24 (the current LTS
# line) with neither. Written for the images node:24-bookworm and node:24-bookworm-slim; the
# same recipe is exercised without Docker by test/deploy/image.test.ts.

FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here: `prepare` would bundle before the sources are copied; esbuild ships
# its binary in a package of its own and needs no install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` runs `scripts/build.mjs --if-possible`, a no-op without esbuild (a dev dependency).
COPY scripts/build.mjs ./scripts/build.mjs
# Optional dependencies are left out: they are native accelerators for Docker over SSH (ssh2's
# cpu-features and crypto binding), which the service does not use, and cost compile time.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    CREDENTIAL_HOST=0.0.0.0 \
    CREDENTIAL_PORT=7300 \
    CREDENTIAL_DATABASE_URL=sqlite:/var/lib/xares-credentials/credentials.db
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/service ./dist/service
COPY --from=build /app/bin ./bin
COPY deploy/healthcheck.cjs ./deploy/healthcheck.cjs
# The embedded SQLite default (and its generated key file) lives in a volume the user owns; the
# application files stay root-owned and read-only to it.
RUN mkdir -p /var/lib/xares-credentials && chown node:node /var/lib/xares-credentials
VOLUME ["/var/lib/xares-credentials"]
USER node
EXPOSE 7300
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "deploy/healthcheck.cjs", "/readyz"]
STOPSIGNAL SIGTERM
CMD ["node", "bin/xares-credentials.js", "serve"]
