# Wharf: Next.js standalone server in a small non-root image.
#
#   docker build -t wharf .
#
# Both stages' images are build arguments so that the image can be built
# without a registry (CI: bash test/image/base.sh builds local ones, see
# docs/deploying.md):
#   BUILD_IMAGE  needs node 20 + npm; python3/make/g++ only matter when
#                better-sqlite3's prebuilt binary cannot be downloaded
#   BASE_IMAGE   needs node 20 and groupadd/useradd (Debian)
ARG BUILD_IMAGE=node:20-bookworm
ARG BASE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
# Dependencies first: this layer is reused while package*.json and the Prisma
# schema are unchanged. `npm ci` runs postinstall → `prisma generate`
# (PRISMA_SCHEMA_ENGINE_BINARY=/bin/false: generate never downloads an engine).
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# `npm ci` refuses a lockfile that lacks entries for optional platform
# packages the registry cannot serve (npm/cli#9846: a filtered mirror answers
# 404 for e.g. @next/swc-darwin-arm64); `npm install` then installs the same
# locked versions and skips the unavailable optional packages.
RUN set -e; \
    if ! npm ci --no-audit --no-fund 2>/tmp/npm-ci.log; then \
      grep -E 'npm error (code|Missing)' /tmp/npm-ci.log | head -4 >&2 || tail -5 /tmp/npm-ci.log >&2; \
      echo "npm ci rejected the lockfile: falling back to npm install (same locked versions)" >&2; \
      npm install --no-audit --no-fund; \
    fi; \
    rm -f /tmp/npm-ci.log
COPY . .
RUN WHARF_STANDALONE=1 npm run build \
 && mkdir -p public \
 && test -f .next/standalone/server.js
# The CLI, bundled with the app's own lib code into one file (native and
# Docker modules stay external: the standalone node_modules has them).
RUN npm run build:cli && test -f dist/cli/wharf.mjs

# -------------------------------------------------------------- runtime stage
FROM ${BASE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Wharf" \
      org.opencontainers.image.description="Self-hosted Docker control plane (Next.js standalone server)"
# NODE_OPTIONS: the heap limit `npm start` uses (package.json config.serverNodeOptions; see the
# README), for the server and the CLI; `docker run -e NODE_OPTIONS=…` replaces it.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=1024 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    NEXT_TELEMETRY_DISABLED=1 \
    WHARF_DATA_DIR=/app/data \
    WHARF_MIGRATIONS_DIR=/app/prisma/migrations \
    WHARF_PG_MIGRATIONS_DIR=/app/prisma/postgresql/migrations
WORKDIR /app
# uid/gid 1001 (node:*-slim already has `node` at 1000). The data folder is
# the only place the app writes, besides Next's own cache.
RUN groupadd --system --gid 1001 wharf \
 && useradd --system --uid 1001 --gid wharf --home-dir /app --no-create-home --shell /usr/sbin/nologin wharf \
 && mkdir -p /app/data /app/.next/cache \
 && chown wharf:wharf /app/data /app/.next/cache \
 && chmod 0750 /app/data

# The traced server (node_modules holds only what the server needs, native
# binaries of better-sqlite3 and @node-rs/argon2 included), the static assets
# and public/ which standalone leaves out, and the migrations the app applies
# at start-up. Code stays root-owned: the app cannot rewrite itself.
COPY --from=build /src/.next/standalone ./
COPY --from=build /src/.next/static ./.next/static
COPY --from=build /src/public ./public
COPY --from=build /src/prisma/migrations ./prisma/migrations
COPY --from=build /src/prisma/postgresql/migrations ./prisma/postgresql/migrations
COPY --from=build /src/dist/cli ./cli
# `docker compose exec wharf wharf dns sync`: the same data dir and migrations as the server.
RUN printf '#!/bin/sh\nexec node /app/cli/wharf.mjs "$@"\n' > /usr/local/bin/wharf && chmod 0755 /usr/local/bin/wharf

# Fail the build, not the first start, if the trace ever misses a native module.
RUN node -e "const D=require('/app/node_modules/better-sqlite3'); new D(':memory:').prepare('select 1').get(); require('/app/node_modules/@node-rs/argon2').hashSync('probe'); console.log('native modules ok')" \
 && WHARF_DATA_DIR=/tmp/cli-probe wharf --help 2>&1 | grep -q "dns sync" && rm -rf /tmp/cli-probe && echo "cli ok"

USER wharf
VOLUME ["/app/data"]
EXPOSE 3000
# No curl in a slim image: node itself asks /api/health (200 while the
# database answers; a Docker or provider outage only makes it "degraded").
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
CMD ["node", "server.js"]
