import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each file gets its own database, so files run in parallel; forks isolate native modules.
    pool: 'forks',
    // Set for the 2-core machines we run on: files wait on the database as much as on the CPU, so
    // one worker more than the cores is fastest (3 workers: 211 s on PostgreSQL; the default, 250 s).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000
  }
})
