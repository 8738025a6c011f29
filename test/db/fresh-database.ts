import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, sql } from 'kysely'
import { inject } from 'vitest'
import { createDb, type Database, type DatabaseKind } from '../../src/db/database.js'
import type { DB } from '../../src/db/schema.js'
import { databaseUrl } from '../helpers/test-database.js'

/** An empty database, never migrated: on the test PostgreSQL server, or an in-memory PGlite. */
export interface FreshDatabase {
  kind: DatabaseKind
  db: Database
  /** For PostgreSQL: the URL of this database (for a server process to use). */
  url: string | undefined
  /** Another handle: a new pool (PostgreSQL), the same instance (PGlite). */
  connect (): Database
  drop (): Promise<void>
}

export async function createFreshDatabase (): Promise<FreshDatabase> {
  const source = inject('testDatabase')
  if (source.kind === 'pglite') {
    const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite: new PGlite() }) })
    return { kind: 'pglite', db, url: undefined, connect: () => db, drop: () => db.destroy() }
  }
  const name = `tessera_fresh_${randomBytes(6).toString('hex')}`
  const admin = createDb({ databaseUrl: source.adminUrl, poolMax: 1 }).db
  await sql`create database ${sql.id(name)}`.execute(admin)
  const url = databaseUrl(source.adminUrl, name)
  const handles: Database[] = []
  const connect = () => {
    const handle = createDb({ databaseUrl: url, poolMax: 2 }).db
    handles.push(handle)
    return handle
  }
  return {
    kind: 'postgres',
    db: connect(),
    url,
    connect,
    async drop () {
      await Promise.all(handles.map((handle) => handle.destroy()))
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await admin.destroy()
    }
  }
}
