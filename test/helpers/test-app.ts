import { buildApp, type App } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

/** A fixed key for tests only. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64')

/** Config as the server would build it from this environment (plus test defaults). */
export function testConfig (env: Record<string, string> = {}, overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ TESSERA_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent', ...env }), ...overrides }
}

export interface TestApp {
  app: App
  database: TestDatabase
  config: Config
  /** Another app instance on the same database, as a second replica. */
  replica (): Promise<App>
  close (): Promise<void>
}

export async function setupTestApp (options: { env?: Record<string, string>, config?: Partial<Config> } = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const config = testConfig(options.env, options.config)
  const app = await buildApp({ config, db: database.db })
  await app.ready()
  const replicas: App[] = []
  return {
    app,
    database,
    config,
    async replica () {
      const replica = await buildApp({ config, db: database.connect() })
      await replica.ready()
      replicas.push(replica)
      return replica
    },
    async close () {
      await Promise.all([app, ...replicas].map((instance) => instance.close()))
      await database.drop()
    }
  }
}
