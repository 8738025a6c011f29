import type { LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { Clock } from '../../src/core/clock.js'
import { PasswordHasher, type CredentialTools } from '../../src/core/credentials.js'
import { Fingerprints } from '../../src/core/fingerprints.js'
import { parseSecretKey, SecretBox } from '../../src/core/secrets.js'
import { assertResponseContract, flushContractTally } from '../contracts/response-contracts.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

/** A fixed key for tests only. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64')
/** Cheap argon2 for tests only: the suite hashes hundreds of passwords. Production always uses OWASP's cost. */
export const TEST_PASSWORD_HASHING = { memoryCost: 256, timeCost: 1 }
/** Seals and hashes as every test app does, for records made outside the API (factories). */
export const testCredentialTools: CredentialTools = {
  box: new SecretBox(parseSecretKey(TEST_SECRET_KEY)!),
  passwords: new PasswordHasher(TEST_PASSWORD_HASHING),
  fingerprints: new Fingerprints(parseSecretKey(TEST_SECRET_KEY)!)
}

/**
 * The limits are off unless a test sets them: every test app is one client (127.0.0.1) sending
 * hundreds of requests and failed credentials, and a loaded CI machine lags its event loop.
 */
const NO_LIMITS = { RATE_LIMIT_MAX: '0', AUTH_FAILURES_PER_USER: '0', AUTH_FAILURES_PER_CLIENT: '0', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_HEAP_USED_RATIO: '0' }

/** Config as the server would build it from this environment (plus test defaults). */
export function testConfig (env: Record<string, string> = {}, overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ TESSERA_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent', ...NO_LIMITS, ...env }), passwordHashing: TEST_PASSWORD_HASHING, ...overrides }
}

export interface TestApp {
  app: App
  database: TestDatabase
  config: Config
  /** Another app instance on the same database, as a second replica; `overrides` change its config alone. */
  replica (overrides?: Partial<Config>): Promise<App>
  close (): Promise<void>
}

/**
 * Every response `app.inject` returns is checked against its API's published schema
 * (test/contracts): a shape regression fails the test that made the request, with the field path.
 */
export function checkingContracts (app: App): App {
  const inject = app.inject.bind(app) as (options: unknown) => Promise<LightMyRequestResponse>
  const checked = async (options: unknown) => {
    const response = await inject(options)
    assertResponseContract(response)
    return response
  }
  // Only the promise form: the chained and callback forms are not used by the tests.
  app.inject = ((options?: unknown, callback?: unknown) => options === undefined || callback !== undefined
    ? (inject as any)(options, callback)
    : checked(options)) as App['inject']
  return app
}

export async function setupTestApp (options: { env?: Record<string, string>, config?: Partial<Config>, clock?: Clock } = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  // PGlite opens (instantiates WASM, loads the dump) on its first query, blocking the event loop
  // for seconds: here, under the hook's timeout, rather than in a test's (and its timings).
  await sql`select 1`.execute(database.db)
  const config = testConfig(options.env, options.config)
  const app = checkingContracts(await buildApp({ config, db: database.db, clock: options.clock }))
  await app.ready()
  const replicas: App[] = []
  return {
    app,
    // The app's own handle: a test's writes empty its credential cache at once, as the app's
    // writes do. Other replicas hear of them through the database's notifications.
    database: { ...database, db: app.db },
    config,
    async replica (overrides = {}) {
      const replica = checkingContracts(await buildApp({ config: { ...config, ...overrides }, db: database.connect(), clock: options.clock }))
      await replica.ready()
      replicas.push(replica)
      return replica
    },
    async close () {
      flushContractTally()
      await Promise.all([app, ...replicas].map((instance) => instance.close()))
      await database.drop()
    }
  }
}
