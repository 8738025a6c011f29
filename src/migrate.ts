import { ConfigError, loadConfig } from './config.js'
import { migrateToLatest } from './db/migrate.js'
import { openRuntime } from './runtime.js'
import { databaseProblem } from './startup-failure.js'

let databaseUrl: string | undefined

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
async function main (): Promise<void> {
  const config = loadConfig()
  databaseUrl = config.databaseUrl
  // Kysely's migration lock is a session advisory lock: past a pooler in transaction mode, it must go direct.
  const runtime = openRuntime({ ...config, databaseUrl: config.databaseDirectUrl ?? config.databaseUrl, databaseReadUrls: [], databasePoolMax: 1 }, { needsSecretKey: false })
  const { db, kind, location } = runtime.database
  try {
    const applied = await migrateToLatest(db)
    console.log(applied.length ? `applied ${applied.join(', ')} to ${kind} (${location})` : `${kind} (${location}) is up to date`)
  } finally {
    await runtime.close()
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  const unreachable = databaseUrl === undefined ? undefined : databaseProblem(error, databaseUrl)
  console.error(`tessera: ${error instanceof ConfigError ? `configuration error: ${message}` : unreachable ?? `migration failed: ${message}`}`)
  process.exit(1)
})
