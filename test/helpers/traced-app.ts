import { Writable } from 'node:stream'
import { pino } from 'pino'
import { buildApp, type App } from '../../src/app.js'
import { FAMILIES } from '../../src/families/index.js'
import { loggerOptions } from '../../src/logging.js'
import { testConfig } from './test-app.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

/** An app on a database of its own, logging at trace with the production logger options into memory. */
export interface TracedApp {
  app: App
  database: TestDatabase
  /** Everything logged so far, as text (one JSON line a record). */
  log (): string
  close (): Promise<void>
}

export async function tracedApp (): Promise<TracedApp> {
  let captured = ''
  const sink = new Writable({
    write (chunk, _encoding, done) {
      captured += String(chunk)
      done()
    }
  })
  const database = await createTestDatabase()
  const config = testConfig({ LOG_LEVEL: 'trace' })
  const app = await buildApp({ config, db: database.db, logger: pino(loggerOptions(config, FAMILIES), sink) })
  await app.ready()
  return {
    app,
    database,
    log: () => captured,
    async close () {
      await app.close()
      await database.drop()
    }
  }
}
