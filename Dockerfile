# Scimitar: a multi-stage image. The build stage runs the same install as .ci/run
# (`npm ci`, whose `prepare` compiles src/ into dist/), then drops development dependencies;
# the runtime stage holds dist/, production node_modules and nothing else, runs as the
# unprivileged `node` user and keeps its SQLite store on the /data volume.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its addon when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY assets ./assets
RUN npm ci --no-audit --no-fund
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SCIMITAR_DB=/data/scimitar.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/assets ./assets
RUN mkdir -p /data && chown node:node /data && ln -s /app/bin/scimitar.js /usr/local/bin/scimitar
USER node
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers while the process runs; orchestrators route on /readyz (the store answers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-semi-space-size=32", "dist/main.js"]
