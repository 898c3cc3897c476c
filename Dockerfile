# The API server. There is no build step: Node runs the TypeScript sources directly.
#   docker build -t personal-automations .
#   docker run -p 8000:8000 -e SECRET_KEY="$(openssl rand -hex 32)" -e POSTGRES_HOST=... -e REDIS_HOST=... personal-automations
# On start the container applies the migrations (creating the database if it is missing),
# then serves on HOST:PORT (0.0.0.0:8000 by default). Settings: docs/configuration.md.
# The image runs with ENVIRONMENT=production unless told otherwise, so it refuses to start with
# the public default SECRET_KEY or a "*" CORS origin, refuses private webhook targets, and
# serves no /docs; -e ENVIRONMENT=development for a trial run.
# The same Node release as scripts/toolchain.sh (NODE_PKG_VERSION) and engines.node.
FROM node:26.12.1-slim

# The pnpm that package.json's packageManager names, installed with npm.
RUN npm install --global --no-audit --no-fund pnpm@12.25.1 \
    && npm cache clean --force

# Everything below runs as the image's unprivileged `node` user, who owns /app.
WORKDIR /app
RUN chown node:node /app
USER node

ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1

COPY --chown=node:node . .

# Prisma's engine download stays off (pnpm-workspace.yaml); the CLI uses the WASM schema
# engine wrapper in packages/db/engine, so nothing beyond the packages is fetched.
RUN pnpm install --frozen-lockfile \
    && pnpm db:generate

EXPOSE 8000

# Fail closed: a container is a deployment unless said otherwise (the settings' own default,
# local, suits `make start` on a laptop). Set after the install, which it must not affect.
ENV ENVIRONMENT=production

# V8's heap sized for a 512 MiB container (docs/deployment.md, "Sizing a replica"): the young
# generation capped at 3 x 16 MiB (Node's default lets it grow to 3 x 32 MiB under load, most of
# it resident) and the old generation at 256 MiB, so the heap stays inside the limit with room for
# the rest of the process. Other limits: docker run -e NODE_OPTIONS="..." (same doc).
ENV NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=256"

# Node's compile cache (keyed by file contents), filled here with what the API loads at start:
# every start then reads each module's stripped TypeScript and V8 code from it, and none loads
# Node's TypeScript stripper, which would stay resident (~14 MiB) for the life of the process
# (apps/api/src/main.ts). Filled under the NODE_OPTIONS above: V8 takes a code cache only under
# the flags it was made with (the stripped TypeScript serves under any).
ENV NODE_COMPILE_CACHE=/app/.cache/node-compile-cache
RUN node apps/api/scripts/warm-compile-cache.ts

# `exec` replaces the shell with node, so the SIGTERM of `docker stop` reaches the server,
# which then finishes in-flight requests and exits.
CMD ["sh", "-c", "pnpm db:deploy && exec node apps/api/src/start.js"]
