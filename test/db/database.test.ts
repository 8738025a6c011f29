import { randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'
import { KEY_FILE_NAME, loadOrCreateKeyFile } from '../../src/core/key-file.js'
import { parseSecretKey } from '../../src/core/secrets.js'
import { createDb, originOf } from '../../src/db/database.js'
import { isDatabaseUnavailable } from '../../src/db/errors.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { openRuntime } from '../../src/runtime.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { unique } from '../helpers/factories.js'

let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-db-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

/** Starting PGlite is seconds of CPU (an in-memory one runs initdb): on a loaded machine, far more than the default 30 s. */
const PGLITE_STARTS_WITHIN_MS = 120_000

const newDataDir = () => join(directory, `data-${randomBytes(4).toString('hex')}`)

describe('the embedded database (PGlite under DATA_DIR)', () => {
  it('keeps data across close and reopen', async () => {
    const dataDir = await freshDataDir(directory)
    const first = createDb({ dataDir })
    expect(first.kind).toBe('pglite')
    expect(first.location).toBe(join(dataDir, 'pgdata'))
    await migrateToLatest(first.db)
    const name = unique('persisted')
    await first.db.insertInto('accounts').values({ id: 'persist-1', name }).execute()
    await first.db.destroy()

    const second = createDb({ dataDir })
    try {
      const row = await second.db.selectFrom('accounts').select(['id', 'name', 'enabled']).where('id', '=', 'persist-1').executeTakeFirst()
      expect(row).toEqual({ id: 'persist-1', name, enabled: true })
      // Nothing is left to apply: the migration records were persisted too.
      expect(await migrateToLatest(second.db)).toEqual([])
    } finally {
      await second.db.destroy()
    }
  }, PGLITE_STARTS_WITHIN_MS)

  it('starts nothing when destroyed before its first query (a command that fails early)', async () => {
    const dataDir = newDataDir()
    const handle = createDb({ dataDir })
    await handle.db.destroy()
    // Waiting for something that must not happen: nothing to await, so the time an eager start would take to write.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // A PGlite started eagerly would be writing a cluster here, and never be closed.
    expect(await readdir(join(dataDir, 'pgdata'))).toEqual([])
  })

  it('without DATA_DIR, lives in memory', async () => {
    const memory = createDb({})
    try {
      expect(memory.kind).toBe('pglite')
      expect(memory.location).toBe('memory')
      const { rows } = await sql<{ answer: number }>`select 41 + 1 as answer`.execute(memory.db)
      expect(rows).toEqual([{ answer: 42 }])
    } finally {
      await memory.db.destroy()
    }
  }, PGLITE_STARTS_WITHIN_MS)
})

describe('the server key of the embedded database', () => {
  it('is created once, readable by the owner only, and reused', async () => {
    const dataDir = newDataDir()
    const created = loadOrCreateKeyFile(dataDir)
    expect(created.created).toBe(true)
    expect(parseSecretKey(created.key)).toHaveLength(32)
    const path = join(dataDir, KEY_FILE_NAME)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect((await readFile(path, 'utf8')).trim()).toBe(created.key)

    const reused = loadOrCreateKeyFile(dataDir)
    expect(reused).toEqual({ key: created.key, created: false })
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('is refused when the file does not hold a key', async () => {
    const dataDir = newDataDir()
    loadOrCreateKeyFile(dataDir)
    await writeFile(join(dataDir, KEY_FILE_NAME), 'not a key\n')
    expect(() => loadOrCreateKeyFile(dataDir)).toThrow(/does not hold a 32-byte key/)
  })

  it('is what openRuntime uses when TESSERA_SECRET_KEY is unset, the same on every start', async () => {
    const dataDir = newDataDir()
    const first = openRuntime(loadConfig({ DATA_DIR: dataDir }))
    await first.close()
    expect(first.keyCreated).toBe(true)
    expect(first.database.kind).toBe('pglite')
    const key = (await readFile(join(dataDir, KEY_FILE_NAME), 'utf8')).trim()
    expect(first.config.secretKey).toBe(key)

    const second = openRuntime(loadConfig({ DATA_DIR: dataDir }))
    await second.close()
    expect(second.keyCreated).toBe(false)
    expect(second.config.secretKey).toBe(key)
  })

  it('is not written when TESSERA_SECRET_KEY is set', async () => {
    const dataDir = newDataDir()
    const key = randomBytes(32).toString('base64')
    const runtime = openRuntime(loadConfig({ DATA_DIR: dataDir, TESSERA_SECRET_KEY: key }))
    await runtime.close()
    expect(runtime.keyCreated).toBe(false)
    expect(runtime.config.secretKey).toBe(key)
    expect(() => statSync(join(dataDir, KEY_FILE_NAME))).toThrow()
  })

  it('is never generated for PostgreSQL: every replica must share one', () => {
    const dataDir = newDataDir()
    let thrown: unknown
    try {
      openRuntime(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }))
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).variable).toBe('TESSERA_SECRET_KEY')
    expect(() => statSync(join(dataDir, KEY_FILE_NAME))).toThrow()
  })
})

describe('PostgreSQL (TEST_DATABASE_URL)', () => {
  const source = inject('testDatabase')

  it('hides the password of the URL in the location it reports', async () => {
    const handle = createDb({ databaseUrl: 'postgres://tessera:s3cret-pw@db.example:5432/tessera' })
    await handle.db.destroy()
    expect(handle.kind).toBe('postgres')
    expect(handle.location).not.toContain('s3cret-pw')
    expect(handle.location).toContain('db.example:5432/tessera')
  })

  it.runIf(source.kind === 'postgres')('connects through the URL and answers queries', async () => {
    if (source.kind !== 'postgres') return
    // The server's own database, not the template: a session on the template would block its cloning.
    const handle = createDb({ databaseUrl: source.adminUrl, poolMax: 1 })
    try {
      expect(handle.kind).toBe('postgres')
      const { rows } = await sql<{ version: string }>`select current_setting('server_version_num') as version`.execute(handle.db)
      expect(Number(rows[0]!.version)).toBeGreaterThanOrEqual(150000)
      const { rows: names } = await sql<{ name: string }>`select application_name as name from pg_stat_activity where pid = pg_backend_pid()`.execute(handle.db)
      expect(names).toEqual([{ name: 'tessera' }])
    } finally {
      await handle.db.destroy()
    }
  })

  it.runIf(source.kind === 'postgres')('survives its backend being terminated mid-transaction: a 503-class error, then a fresh connection', async () => {
    if (source.kind !== 'postgres') return
    const handle = createDb({ databaseUrl: source.adminUrl, poolMax: 1 })
    const killer = createDb({ databaseUrl: source.adminUrl, poolMax: 1 })
    const origin = originOf(handle.db)
    if (origin?.kind !== 'postgres') throw new Error('unreachable')
    let socketClosed: Promise<void> | undefined
    origin.pool.once('acquire', (client) => { socketClosed = new Promise((resolve) => client.once('end', () => resolve())) })
    try {
      let firstPid = 0
      const failed = await handle.db.transaction().execute(async (trx) => {
        firstPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid
        await sql`select pg_terminate_backend(${firstPid})`.execute(killer.db)
        // The checked-out client hears its socket close: an `error` event nobody else listens to.
        await socketClosed
        await sql`select 1`.execute(trx)
      }).then(() => undefined, (error: unknown) => error)
      expect(isDatabaseUnavailable(failed), String(failed)).toBe(true)

      // The one pooled client was discarded, not handed out again broken.
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)
      expect(rows[0]!.pid).not.toBe(firstPid)
    } finally {
      await handle.db.destroy()
      await killer.db.destroy()
    }
  })

  it('is not needed by the CLI and migrations with PostgreSQL, which seal nothing', async () => {
    const runtime = openRuntime(loadConfig({ DATA_DIR: newDataDir(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }), { needsSecretKey: false })
    expect(runtime.config.secretKey).toBeUndefined()
    await runtime.close()
  })
})

describe('the embedded database lock', () => {
  it('refuses a second process on the same DATA_DIR until the first closes', async () => {
    const dataDir = newDataDir()
    const first = openRuntime(loadConfig({ DATA_DIR: dataDir }))
    let thrown: unknown
    try {
      openRuntime(loadConfig({ DATA_DIR: dataDir }))
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).variable).toBe('DATA_DIR')
    expect((thrown as ConfigError).message).toMatch(/another Tessera process has open/)
    await first.close()
    const second = openRuntime(loadConfig({ DATA_DIR: dataDir }))
    await second.close()
  })

  it('takes no lock for PostgreSQL', async () => {
    const dataDir = newDataDir()
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', TESSERA_SECRET_KEY: randomBytes(32).toString('base64') })
    // Two processes on one DATABASE_URL (replicas) both open, and nothing is written to DATA_DIR.
    const first = openRuntime(config)
    const second = openRuntime(config)
    expect([first.database.kind, second.database.kind]).toEqual(['postgres', 'postgres'])
    expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false)
    expect(existsSync(join(dataDir, 'pgdata'))).toBe(false)
    await Promise.all([first.close(), second.close()])
  })
})
