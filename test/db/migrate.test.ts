import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS_FOLDER, migrateToLatest, pendingMigrations, SqlFileMigrationProvider } from '../../src/db/migrate.js'
import { createFreshDatabase, type FreshDatabase } from './fresh-database.js'

let allMigrations: string[]
beforeAll(async () => {
  allMigrations = (await readdir(MIGRATIONS_FOLDER)).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, '')).sort()
})

async function appliedMigrations (db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
  return rows.map((row) => row.name)
}

describe('migrations on a fresh database', () => {
  let fresh: FreshDatabase | undefined
  afterEach(async () => {
    await fresh?.drop()
    fresh = undefined
  })

  it('are all pending before the first run, and none after', async () => {
    fresh = await createFreshDatabase()
    expect(allMigrations.length).toBeGreaterThanOrEqual(3)
    expect(await pendingMigrations(fresh.db)).toEqual(allMigrations)
    // Asking does not create the migrator's tables (readiness probes ask often).
    const { rows } = await sql<{ count: number }>`select count(*)::int as count from information_schema.tables where table_name like 'kysely_migration%'`.execute(fresh.db)
    expect(rows[0]!.count).toBe(0)

    expect(await migrateToLatest(fresh.db)).toEqual(allMigrations)
    expect(await pendingMigrations(fresh.db)).toEqual([])
    expect(await appliedMigrations(fresh.db)).toEqual(allMigrations)
  })

  it('applied twice, change nothing the second time', async () => {
    fresh = await createFreshDatabase()
    await migrateToLatest(fresh.db)
    const before = await sql<{ name: string, timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(fresh.db)
    expect(await migrateToLatest(fresh.db)).toEqual([])
    const after = await sql<{ name: string, timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(fresh.db)
    expect(after.rows).toEqual(before.rows)
  })

  it('run by two replicas at once, are each applied once and both runs succeed', async () => {
    fresh = await createFreshDatabase()
    // Two pools on PostgreSQL (two replicas); on PGlite both share the one connection.
    const [first, second] = await Promise.all([migrateToLatest(fresh.db), migrateToLatest(fresh.connect())])
    expect([...first, ...second].sort()).toEqual(allMigrations)
    expect(await appliedMigrations(fresh.db)).toEqual(allMigrations)
    expect(await pendingMigrations(fresh.db)).toEqual([])
  })

  it('leave a usable schema: a row can go through every table', async () => {
    fresh = await createFreshDatabase()
    await migrateToLatest(fresh.db)
    const db = fresh.db
    await db.insertInto('accounts').values({ id: 'mig-1', name: 'mig-1' }).execute()
    const u1 = '3f1c2a4b-5d6e-4f70-8a91-b2c3d4e5f607'
    await db.insertInto('users').values({ id: u1, account_id: 'mig-1', name: 'mig-user', email: null, password_hash: null }).execute()
    await db.insertInto('role_assignments').values({ user_id: u1, account_id: 'mig-1', role: 'admin' }).execute()
    await db.insertInto('api_keys').values({ user_id: u1, key_hash: Buffer.alloc(32, 1), key_sealed: Buffer.alloc(40, 5) }).execute()
    await db.insertInto('auth_sessions').values({
      audit_id: 'a1', secret_hash: Buffer.alloc(32, 2), user_id: u1, account_id: 'mig-1', roles: ['admin'], method: 'password', audit_chain_id: 'a1', rescoped_from: null, expires_at: new Date(Date.now() + 60_000)
    }).execute()
    await db.insertInto('agent_tokens').values({ account_id: 'mig-1', sort_key: '0123456789abcdef', secret_hash: Buffer.alloc(32, 3), token_sealed: Buffer.alloc(40, 4), label: null }).execute()
    // Deleting the account cascades to everything that hangs off it.
    await db.deleteFrom('accounts').where('id', '=', 'mig-1').execute()
    for (const table of ['users', 'role_assignments', 'api_keys', 'auth_sessions', 'agent_tokens'] as const) {
      const { rows } = await sql<{ count: number }>`select count(*)::int as count from ${sql.table(table)}`.execute(db)
      expect(rows[0]!.count, table).toBe(0)
    }
  })
})

describe('0004_user_ids_uuid', () => {
  const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  let fresh: FreshDatabase | undefined
  afterEach(async () => {
    await fresh?.drop()
    fresh = undefined
  })

  it('gives existing users a UUID v4 id, and their roles, API key and sessions follow', async () => {
    fresh = await createFreshDatabase()
    const db = fresh.db
    const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider() })
    expect((await migrator.migrateTo('0003_agent_tokens')).error).toBeUndefined()
    await db.insertInto('accounts').values({ id: 'old-1', name: 'old-1' }).execute()
    await db.insertInto('users').values({ id: '5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f', account_id: 'old-1', name: 'old-user', email: null, password_hash: null }).execute()
    await sql`insert into role_assignments (user_id, account_id, role) values ('5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f', 'old-1', 'admin')`.execute(db)
    await sql`insert into api_keys (user_id, key_hash) values ('5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f', ${Buffer.alloc(32, 1)})`.execute(db)
    await db.insertInto('auth_sessions').values({
      audit_id: 'a1', secret_hash: Buffer.alloc(32, 2), user_id: '5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f', account_id: 'old-1', roles: ['admin'], method: 'password', audit_chain_id: 'a1', rescoped_from: null, expires_at: new Date(Date.now() + 60_000)
    }).execute()

    await migrateToLatest(db)

    const user = await db.selectFrom('users').select('id').where('name', '=', 'old-user').executeTakeFirstOrThrow()
    expect(user.id).toMatch(UUID_V4)
    expect(await db.selectFrom('role_assignments').select(['user_id', 'role']).execute()).toEqual([{ user_id: user.id, role: 'admin' }])
    expect(await db.selectFrom('api_keys').select(['user_id', 'key_sealed']).execute()).toEqual([{ user_id: user.id, key_sealed: null }])
    expect(await db.selectFrom('auth_sessions').select('user_id').execute()).toEqual([{ user_id: user.id }])
    // New rows must follow the rule too.
    await expect(db.insertInto('users').values({ id: 'not-a-uuid', account_id: 'old-1', name: 'new-user', email: null, password_hash: null }).execute())
      .rejects.toMatchObject({ code: '23514' })
  })
})

describe('SqlFileMigrationProvider', () => {
  let folder: string
  let fresh: FreshDatabase
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'tessera-migrations-'))
    fresh = await createFreshDatabase()
  })
  afterAll(async () => {
    await fresh.drop()
    await rm(folder, { recursive: true, force: true })
  })

  it('splits files into statements PGlite can run: comments, quoted semicolons and $$ bodies stay whole', async () => {
    await writeFile(join(folder, '0001_first.sql'), [
      '-- a comment; with a semicolon',
      'create table notes (id int primary key, body text not null default \'a;b\');',
      '/* block; comment */',
      'create function note_count () returns int language plpgsql as $$',
      'begin',
      '  return (select count(*) from notes);',
      'end;',
      '$$;',
      'insert into notes (id) values (1);',
      '-- trailing comment only'
    ].join('\n'))
    await writeFile(join(folder, '0002_second.sql'), 'insert into notes (id, body) values (2, \'x\');\n')
    await writeFile(join(folder, 'README.md'), 'not a migration')
    await writeFile(join(folder, '0003_Bad-Name.sql'), 'select nonsense;')

    const provider = new SqlFileMigrationProvider(folder)
    expect(Object.keys(await provider.getMigrations())).toEqual(['0001_first', '0002_second'])
    const { error, results } = await new Migrator({ db: fresh.db, provider }).migrateToLatest()
    expect(error).toBeUndefined()
    expect(results?.map((result) => [result.migrationName, result.status])).toEqual([['0001_first', 'Success'], ['0002_second', 'Success']])
    const { rows } = await sql<{ id: number, body: string, total: number }>`select id, body, note_count() as total from notes order by id`.execute(fresh.db)
    expect(rows).toEqual([{ id: 1, body: 'a;b', total: 2 }, { id: 2, body: 'x', total: 2 }])
  })

  it('rolls back a failing file as a whole', async () => {
    const failing = await mkdtemp(join(folder, 'failing-'))
    await writeFile(join(failing, '0001_partial.sql'), 'create table half_done (id int);\nselect * from no_such_table;\n')
    const other = await createFreshDatabase()
    try {
      const { error, results } = await new Migrator({ db: other.db, provider: new SqlFileMigrationProvider(failing) }).migrateToLatest()
      expect(error).toBeDefined()
      expect(results?.map((result) => [result.migrationName, result.status])).toEqual([['0001_partial', 'Error']])
      const { rows } = await sql<{ count: number }>`select count(*)::int as count from information_schema.tables where table_name = 'half_done'`.execute(other.db)
      expect(rows[0]!.count).toBe(0)
    } finally {
      await other.drop()
    }
  })
})
