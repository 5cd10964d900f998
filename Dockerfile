# fleetgate: JT/T 808 gateway. Multi-stage build; runs as a non-root user.
# Build:  docker build -t fleetgate .
# Run:    docker run -p 6808:6808 -p 8080:8080 -v fleetgate-data:/data fleetgate

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY protocols ./protocols
COPY simulator ./simulator
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    FLEETGATE_DATA_DIR=/data \
    FLEETGATE_HOST=0.0.0.0 \
    FLEETGATE_JT808_PORT=6808 \
    FLEETGATE_HTTP_PORT=8080
WORKDIR /app
RUN groupadd --system fleetgate && useradd --system --gid fleetgate --home-dir /app --shell /usr/sbin/nologin fleetgate \
    && mkdir -p /data && chown fleetgate:fleetgate /data
COPY --from=build --chown=fleetgate:fleetgate /app/node_modules ./node_modules
COPY --from=build --chown=fleetgate:fleetgate /app/dist ./dist
COPY --from=build --chown=fleetgate:fleetgate /app/package.json ./package.json
COPY --chown=fleetgate:fleetgate protocols/*.proto ./protocols/
USER fleetgate
VOLUME ["/data"]
EXPOSE 6808 8080
# /health answers 200 while the process serves; uses Node itself (no curl in the slim image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.FLEETGATE_HTTP_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
