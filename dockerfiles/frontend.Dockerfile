# todo-frontend: Next.js (output: "standalone") on Node 22.
#   docker build -f dockerfiles/frontend.Dockerfile -t todo-frontend apps/frontend
# Build args:
#   NODE_IMAGE       base of every stage (default: the upstream node:22-alpine)
#   EXTRA_CA_CERTS   PEM text of extra CAs to trust while `npm ci` downloads
#                    (TLS-intercepting proxies). Build stages only: the runner
#                    stage never declares it, so it is in no layer, ENV or label.
#   VERSION, REVISION  recorded in the OCI labels
# Runtime config: API_BASE_URL (the backend, e.g. http://todo-backend:8000) is read
# by the /api/* route on every request; changing it needs a restart, not a rebuild.
# Works with the classic builder and with BuildKit (no RUN --mount).

ARG NODE_IMAGE=node:22-alpine

# ---- deps: node_modules exactly as package-lock.json says ---------------------
FROM ${NODE_IMAGE} AS deps
ARG EXTRA_CA_CERTS=""
WORKDIR /build
COPY package.json package-lock.json ./
# NODE_EXTRA_CA_CERTS adds to node's own CA list; the file stays in this stage.
RUN set -eu; \
    if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; \
    fi; \
    npm ci --no-audit --no-fund --loglevel=warn; \
    rm -f /tmp/extra-ca.pem

# ---- builder: next build -> .next/standalone (server.js + traced node_modules) ---
FROM deps AS builder
ENV NEXT_TELEMETRY_DISABLED=1 \
    NODE_ENV=production
COPY . .
RUN npm run build

# ---- runner: node, the standalone server and its static assets; nothing else ---
FROM ${NODE_IMAGE} AS runner
# Long options: the same command works with BusyBox (alpine) and Debian's adduser.
RUN addgroup --system --gid 1001 nodejs \
 && adduser --system --uid 1001 --ingroup nodejs --no-create-home --disabled-password nextjs
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000
# Copied as root: the app user can read, not write.
COPY --from=builder /build/public ./public
COPY --from=builder /build/.next/standalone ./
COPY --from=builder /build/.next/static ./.next/static
USER 1001:1001
EXPOSE 3000
# Last, so that a new VERSION/REVISION rebuilds only this layer.
ARG NODE_IMAGE
ARG VERSION=1.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="todo-frontend" \
      org.opencontainers.image.description="Todo chatbot web UI (Next.js); forwards /api/* to API_BASE_URL" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/kubeproof/kubeproof" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/', {signal: AbortSignal.timeout(4000)}).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# server.js binds to $HOSTNAME, which Docker and Kubernetes set to the container's
# own name; bind every interface instead, so probes and the HEALTHCHECK reach it.
CMD ["/usr/bin/env", "HOSTNAME=0.0.0.0", "node", "server.js"]
