import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, sql } from 'kysely'
import { inject } from 'vitest'
import { createDb, embedded, type Database, type DatabaseKind } from '../../src/db/database.js'

/** What global-setup.ts provides: a server with a migrated template database, or a PGlite dump. */
export type TestDatabaseSource =
  | { kind: 'postgres', adminUrl: string, template: string }
  | { kind: 'pglite', dumpPath: string, emptyDumpPath: string }

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: TestDatabaseSource
  }
}

export interface TestDatabase {
  kind: DatabaseKind
  db: Database
  /** For PostgreSQL: the URL of this file's database (to open more pools, as replicas do). */
  url: string | undefined
  /** Another handle on the same database: a new pool for PostgreSQL, the same instance for PGlite. */
  connect (): Database
  drop (): Promise<void>
}

export function databaseUrl (adminUrl: string, database: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function withAdmin<T> (adminUrl: string, work: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
  const { db } = createDb({ databaseUrl: adminUrl, poolMax: 1 })
  try {
    return await work(db as unknown as Kysely<unknown>)
  } finally {
    await db.destroy()
  }
}

/** CREATE DATABASE … TEMPLATE fails while another copy of the template is being made: retry. */
async function cloneTemplate (adminUrl: string, template: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`create database ${sql.id(name)} template ${sql.id(template)}`.execute(admin)
        return
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100))
      }
    }
  })
}

/**
 * A database of its own on the test PostgreSQL server: a clone of `template`, or empty
 * without one. Each handle `connect()` opens is closed by `drop()`.
 */
export async function createServerDatabase (adminUrl: string, template?: string): Promise<TestDatabase> {
  const name = `tessera_t_${randomBytes(6).toString('hex')}`
  if (template === undefined) await withAdmin(adminUrl, (admin) => sql`create database ${sql.id(name)}`.execute(admin))
  else await cloneTemplate(adminUrl, template, name)
  const url = databaseUrl(adminUrl, name)
  const handles: Database[] = []
  const connect = () => {
    const handle = createDb({ databaseUrl: url, poolMax: 5 }).db
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
      await withAdmin(adminUrl, (admin) => sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin))
    }
  }
}

/** A PGlite database in memory, loaded from a data-directory dump or empty. */
export function createPGliteDatabase (loadDataDir?: Blob): TestDatabase {
  const { db } = embedded(new PGlite(loadDataDir ? { loadDataDir } : {}), 'memory')
  let dropped = false
  return {
    kind: 'pglite',
    db,
    url: undefined,
    connect: () => db,
    async drop () {
      if (!dropped) await db.destroy()
      dropped = true
    }
  }
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase (): Promise<TestDatabase> {
  const source = inject('testDatabase')
  if (source.kind === 'postgres') return createServerDatabase(source.adminUrl, source.template)
  return createPGliteDatabase(new Blob([await readFile(source.dumpPath)]))
}
