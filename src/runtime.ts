import { accessSync, constants, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import lockfile from 'proper-lockfile'
import { ConfigError, type Config } from './config.js'
import { loadOrCreateKeyFile } from './core/key-file.js'
import { createDb, type DatabaseHandle } from './db/database.js'

/** What the entry points (server, CLI, migrate) share: the configured database and server key. */
export interface Runtime {
  config: Config
  database: DatabaseHandle
  /** The key file was created by this start (a fresh embedded database). */
  keyCreated: boolean
  /** Destroys the database handle and releases the embedded database's lock. */
  close (): Promise<void>
}

/** Why DATA_DIR cannot hold the embedded database, in the words of the one who must fix it. */
const DATA_DIR_PROBLEMS: Record<string, string> = {
  EEXIST: 'is a file, not a directory',
  ENOTDIR: 'lies under a file, not a directory',
  EACCES: 'is not writable by this user: permission denied',
  EPERM: 'is not writable by this user: operation not permitted',
  EROFS: 'is on a read-only file system'
}

/**
 * Creates DATA_DIR if need be and makes sure this process may write there, before any file
 * of the embedded database is touched: a problem is one line naming the variable.
 */
function prepareDataDir (dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true })
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    const problem = DATA_DIR_PROBLEMS[code] ?? `cannot be used: ${(error as Error).message}`
    throw new ConfigError('DATA_DIR', `${resolve(dataDir)} ${problem}; set DATA_DIR to a directory this user can write`)
  }
}

/**
 * PGlite is one process's database: a second process opening the same files would corrupt
 * them. The lock is a directory beside the data that its holder keeps fresh; one left by a
 * crashed process goes stale after 10 s.
 */
function lockDataDir (dataDir: string): () => void {
  const directory = resolve(join(dataDir, 'pgdata'))
  mkdirSync(dataDir, { recursive: true })
  try {
    return lockfile.lockSync(directory, { realpath: false, stale: 10_000, update: 5_000, lockfilePath: `${directory}.lock` })
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') throw error
    throw new ConfigError('DATA_DIR', `holds an embedded database that another Tessera process has open (${directory}); stop it first, or use DATABASE_URL`)
  }
}

/**
 * Opens the configured database and settles the server key: TESSERA_SECRET_KEY when set;
 * else, for the embedded database only, a key generated once and kept in DATA_DIR. The CLI
 * and migrations seal nothing, so they may run against PostgreSQL without the key.
 */
export function openRuntime (config: Config, options: { needsSecretKey?: boolean, primaryOnlyTables?: readonly string[] } = {}): Runtime {
  let secretKey = config.secretKey
  let keyCreated = false
  if (config.databaseUrl === undefined) prepareDataDir(config.dataDir)
  if (secretKey === undefined) {
    if (config.databaseUrl === undefined) {
      const keyFile = loadOrCreateKeyFile(config.dataDir)
      secretKey = keyFile.key
      keyCreated = keyFile.created
    } else if (options.needsSecretKey ?? true) {
      throw new ConfigError('TESSERA_SECRET_KEY', 'is required with DATABASE_URL: every replica must share one key (generate one with `openssl rand -base64 32`)')
    }
  }
  const release = config.databaseUrl === undefined ? lockDataDir(config.dataDir) : () => {}
  const database = createDb({
    databaseUrl: config.databaseUrl,
    readUrls: config.databaseReadUrls,
    primaryOnlyTables: options.primaryOnlyTables,
    directUrl: config.databaseDirectUrl,
    dataDir: config.dataDir,
    poolMax: config.databasePoolMax,
    timeouts: config.databaseTimeouts
  })
  return {
    config: { ...config, secretKey },
    database,
    keyCreated,
    async close () {
      try {
        await database.db.destroy()
      } finally {
        release()
      }
    }
  }
}
