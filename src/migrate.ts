import { ConfigError, loadConfig } from './config.js'
import { migrateToLatest } from './db/migrate.js'
import { createDb } from './db/database.js'

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
async function main (): Promise<void> {
  const config = loadConfig()
  const { db, kind, location } = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 })
  try {
    const applied = await migrateToLatest(db)
    console.log(applied.length ? `applied ${applied.join(', ')} to ${kind} (${location})` : `${kind} (${location}) is up to date`)
  } finally {
    await db.destroy()
  }
}

main().catch((error: unknown) => {
  console.error(`tessera: ${error instanceof ConfigError ? 'configuration error: ' : 'migration failed: '}${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
