# One Dockerfile, one target per Skiff process. Images hold the esbuild bundles from
# `npm run build` (dist/apps/*), so nothing is installed inside the image.
#   npm run build && docker build --target proxy -t skiff/proxy .
# BASE_IMAGE lets machines without registry access use a locally built Node.js image.
ARG BASE_IMAGE=node:24-slim

FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
# Mount points for the CA (control plane only) and bootstrap tokens, owned by the runtime user so
# that fresh named volumes mounted there are too.
RUN mkdir -p /var/lib/skiff /var/run/skiff && chown 65532:65532 /var/lib/skiff /var/run/skiff
# A fixed unprivileged uid: works on images that have no "node" user.
USER 65532:65532
COPY deploy/compose/healthcheck.cjs /app/healthcheck.cjs

FROM runtime AS control-plane
COPY --chown=65532:65532 dist/apps/control-plane/ /app/
COPY --chown=65532:65532 dist/apps/dashboard/ /app/dashboard/
EXPOSE 15010 15014 20001
HEALTHCHECK --interval=5s --timeout=2s --retries=10 CMD ["node", "/app/healthcheck.cjs", "15014", "/ready"]
CMD ["node", "/app/main.js", "--bind", "0.0.0.0", "--config", "/etc/skiff/config", "--dashboard-dir", "/app/dashboard", "--ca-dir", "/var/lib/skiff/ca"]

FROM runtime AS proxy
COPY --chown=65532:65532 dist/apps/proxy/ /app/
EXPOSE 15000 15001 15006 15090
HEALTHCHECK --interval=30s --timeout=2s --retries=3 CMD ["node", "/app/healthcheck.cjs", "15000", "/ready"]
CMD ["node", "/app/main.js"]

FROM runtime AS gateway
COPY --chown=65532:65532 dist/apps/gateway/ /app/
EXPOSE 8080 15000 15090
HEALTHCHECK --interval=30s --timeout=2s --retries=3 CMD ["node", "/app/healthcheck.cjs", "15000", "/ready"]
CMD ["node", "/app/main.js", "--bind", "0.0.0.0"]

FROM runtime AS sample
ARG APP
COPY --chown=65532:65532 dist/apps/${APP}/ /app/
ENV PORT=9080 HOST=0.0.0.0
EXPOSE 9080
HEALTHCHECK --interval=5s --timeout=2s --retries=10 CMD ["node", "/app/healthcheck.cjs", "9080", "/healthz"]
CMD ["node", "/app/main.js"]

# Transparent interception (istio-init's job): iptables rules in the pod's network namespace
# that send its TCP through the sidecar. Runs once, as root, with NET_ADMIN (compose.transparent.yaml).
FROM ${BASE_IMAGE} AS init
USER 0:0
RUN command -v iptables >/dev/null 2>&1 || (apt-get update && apt-get install -y --no-install-recommends iptables && rm -rf /var/lib/apt/lists/*)
COPY deploy/compose/skiff-init.sh /usr/local/bin/skiff-init
CMD ["/bin/sh", "/usr/local/bin/skiff-init"]
