import { ConfigError, loadConfig } from './config.js'
import { migrateToLatest } from './db/migrate.js'
import { openRuntime } from './runtime.js'

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
async function main (): Promise<void> {
  const runtime = openRuntime({ ...loadConfig(), databasePoolMax: 1 }, { needsSecretKey: false })
  const { db, kind, location } = runtime.database
  try {
    const applied = await migrateToLatest(db)
    console.log(applied.length ? `applied ${applied.join(', ')} to ${kind} (${location})` : `${kind} (${location}) is up to date`)
  } finally {
    await runtime.close()
  }
}

main().catch((error: unknown) => {
  console.error(`tessera: ${error instanceof ConfigError ? 'configuration error: ' : 'migration failed: '}${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
