# syntax=docker/dockerfile:1

# Node 24, the active LTS (kysely 0.29, cookie and content-disposition declare Node >= 22;
# Node 20 reached its end of life in April 2026). The same base in every stage: the native
# modules (argon2, bcrypt) installed in one run in the other.

# Dependencies, with dev dependencies for the TypeScript build. Install scripts are off:
# no runtime dependency has one, the build needs none (esbuild's only checks its binary), and
# the project's own prepare (its build) is the next stage.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

# Compiles src/ to dist/.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# The image: production dependencies, the compiled code and the SQL migrations, run as `node`.
FROM node:24-bookworm-slim AS runtime
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
# Ready, not just alive: /readyz answers 200 once the database answers and is fully migrated.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node directly, not `npm start`: its prestart checks the build against src/, which the image leaves out.
CMD ["node", "--heap-growing-percent=50", "dist/server.js"]
