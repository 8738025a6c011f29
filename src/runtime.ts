import { ConfigError, type Config } from './config.js'
import { loadOrCreateKeyFile } from './core/key-file.js'
import { createDb, type DatabaseHandle } from './db/database.js'

/** What the entry points (server, CLI, migrate) share: the configured database and server key. */
export interface Runtime {
  config: Config
  database: DatabaseHandle
  /** The key file was created by this start (a fresh embedded database). */
  keyCreated: boolean
}

/**
 * Opens the configured database and settles the server key: TESSERA_SECRET_KEY when set;
 * else, for the embedded database only, a key generated once and kept in DATA_DIR.
 */
export function openRuntime (config: Config): Runtime {
  let secretKey = config.secretKey
  let keyCreated = false
  if (secretKey === undefined) {
    if (config.databaseUrl !== undefined) {
      throw new ConfigError('TESSERA_SECRET_KEY', 'is required with DATABASE_URL: every replica must share one key (generate one with `openssl rand -base64 32`)')
    }
    const keyFile = loadOrCreateKeyFile(config.dataDir)
    secretKey = keyFile.key
    keyCreated = keyFile.created
  }
  const database = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax })
  return { config: { ...config, secretKey }, database, keyCreated }
}
