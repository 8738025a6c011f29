# syntax=docker/dockerfile:1

# Dependencies, with dev dependencies for the TypeScript build. Install scripts are off:
# no runtime dependency has one, the build needs none (esbuild's only checks its binary), and
# the project's own prepare (its build) is the next stage.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

# Compiles src/ to dist/.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# The image: production dependencies, the compiled code and the SQL migrations, run as `node`.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# dist/db/migrate.js reads ../../migrations, that is /app/migrations.
COPY migrations ./migrations
# The embedded database (no DATABASE_URL) keeps its files and key under DATA_DIR, ./data by default.
RUN mkdir data && chown node:node data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node directly, not `npm start`: its prestart checks the build against src/, which the image leaves out.
CMD ["node", "dist/server.js"]
