import { relative } from 'node:path'
import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/** Files that replace a module with vi.mock: they need a module cache of their own. */
const MOCKING_FILES = ['test/core/credentials.test.ts']

/**
 * Files whose subject is not the test database: they start the server or the CLI as processes on
 * an embedded database of their own (without TEST_DATABASE_URL, docs-cli-examples too), need
 * none (or a PostgreSQL cluster of their own), drive a page in a browser, or check the wire (real clients, the OpenAPI document). CI runs the suite on PostgreSQL, then again on PGlite with
 * TESSERA_TESTS_ONCE=1, which leaves these out: the first pass ran them.
 */
const DATABASE_INDEPENDENT = [
  'test/server/npm-start.test.ts',
  // Its embedded case starts a server on a DATA_DIR of its own; its PostgreSQL case runs only on PostgreSQL.
  'test/server/shutdown.test.ts',
  'test/server/startup-mistakes.test.ts',
  'test/server/migrate-command.test.ts',
  'test/server/metrics-port.test.ts',
  'test/server/heap-growth.test.ts',
  'test/cli/remote-bin.test.ts',
  'test/deploy/compose.test.ts',
  'test/deploy/docs.test.ts',
  'test/deploy/docs-cli-examples.test.ts',
  'test/explorer/explorer-browser.test.ts',
  // A primary, a standby and pgbouncer of its own.
  'test/db/replication.test.ts',
  // The wire: real clients, and the OpenAPI document.
  'test/clients/keystone-clients.test.ts',
  'test/clients/fog-monitoring.test.ts',
  'test/plugins/openapi.test.ts',
  'test/contracts/**',
  // The configuration, and the deployment files (the container, compose, the docs, the dashboard's series).
  'test/config/**',
  'test/deploy/**',
  'test/docs/**'
]
/**
 * Files whose subject is the HTTP layer, authorisation policy, Redis or the CLI's process: they read and write the
 * test database only to set up their case, in ways the families' own files already cover on both
 * databases. The PGlite pass leaves them out too (TESSERA_TESTS_ONCE=1), which keeps CI within
 * its ten minutes.
 */
const HTTP_LAYER = [
  'test/fuzz/**',
  'test/authz/**',
  'test/plugins/metrics.test.ts',
  'test/plugins/redis-limits.test.ts',
  'test/plugins/head-routes.test.ts',
  'test/plugins/load-shedding.test.ts',
  'test/plugins/browser-headers.test.ts',
  'test/plugins/http-basics.test.ts',
  'test/plugins/secret-headers.test.ts',
  'test/plugins/nul-input.test.ts',
  'test/plugins/client-errors.test.ts',
  'test/plugins/request-rate.test.ts',
  'test/server/slow-clients.test.ts',
  // The CLI as a process (arguments, exit codes, output); each command's work on the database is
  // in test/cli's other files, which run in process on both databases.
  'test/cli/entry.test.ts',
  'test/cli/remote-commands.test.ts',
  'test/cli/remote-session.test.ts'
]
const ranOnce = process.env.TESSERA_TESTS_ONCE === '1' ? [...DATABASE_INDEPENDENT, ...HTTP_LAYER] : []

/**
 * The slowest files (they start servers, CLIs or a browser: 10–60 s each), longest first. A clean
 * checkout has no timings from an earlier run, and vitest would start them wherever their size
 * puts them: one started last holds the whole run up while the other workers idle.
 */
const SLOW_FIRST = [
  'test/deploy/docs-cli-examples.test.ts',
  'test/server/npm-start.test.ts',
  'test/server/startup-mistakes.test.ts',
  'test/server/shutdown.test.ts',
  'test/server/migrate-command.test.ts',
  'test/explorer/explorer-browser.test.ts',
  'test/cli/entry.test.ts',
  'test/db/replication.test.ts',
  'test/server/heap-growth.test.ts',
  'test/plugins/metrics.test.ts',
  'test/server/database-loss.test.ts',
  'test/db/database.test.ts',
  'test/cli/remote-bin.test.ts',
  'test/server/metrics-port.test.ts'
]

/** Vitest's own order (timings of an earlier run when it has them), the known slow files first. */
class SlowFirst extends BaseSequencer {
  override async sort (files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (file: TestSpecification) => {
      const index = SLOW_FIRST.indexOf(relative(file.project.config.root, file.moduleId))
      return index === -1 ? SLOW_FIRST.length : index
    }
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file)
  }
}

export default defineConfig({
  test: {
    // Each file gets its own database, so files run in parallel; forks isolate native modules.
    pool: 'forks',
    // Set for the 2-core machines we run on: files wait on the database as much as on the CPU, so
    // one worker more than the cores is fastest (3 workers: 211 s on PostgreSQL; the default, 250 s).
    maxWorkers: 3,
    sequence: { sequencer: SlowFirst },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        // A worker keeps its modules from one file to the next: importing the app anew for each
        // file cost more time than any test (≈ 180 s of 300 s, summed over workers).
        // The test databases (global-setup.ts) are this project's: the mocking files need none.
        test: { name: 'shared-modules', include: ['test/**/*.test.ts'], exclude: [...MOCKING_FILES, ...ranOnce], isolate: false, globalSetup: ['test/global-setup.ts'] }
      },
      { extends: true, test: { name: 'isolated', include: MOCKING_FILES, isolate: true } }
    ]
  }
})
