import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import { connectTryingEachHost, hostListClient, parseHostList } from './multi-host.js'
import { ReadReplicas } from './read-replicas.js'
import { ReplicaRoutingDialect } from './replica-routing.js'
import type { DB } from './schema.js'

export type Database = Kysely<DB>
export type DatabaseKind = 'postgres' | 'pglite'

export interface DatabaseHandle {
  db: Database
  kind: DatabaseKind
  /** Where the data lives, with no credentials: for logs and the CLI. */
  location: string
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined
  /** Streaming standbys that may answer reads (see read-replicas.ts). */
  readUrls?: readonly string[] | undefined
  /** Tables besides the identity core's whose reads a standby may not answer (TokenFamily.primaryOnlyTables). */
  primaryOnlyTables?: readonly string[] | undefined
  /** The primary without a pooler in between, for the LISTEN connection; DATABASE_URL when unset. */
  directUrl?: string | undefined
  /** For the embedded database: its files go under `<dataDir>/pgdata`. */
  dataDir?: string | undefined
  poolMax?: number | undefined
  timeouts?: DatabaseTimeouts | undefined
}

export interface DatabaseTimeouts {
  connectMs: number
  queryMs: number
}

export type DatabaseOrigin = {
  kind: 'postgres'
  url: string
  timeouts: DatabaseTimeouts
  pool: pg.Pool
  /** A connection of its own to the primary (directUrl, else url), trying each host of a list. */
  directClient: (config: pg.ClientConfig) => pg.Client
  /** The standbys reads may go to, when there are any. */
  replicas: ReadReplicas | undefined
} | { kind: 'pglite' }

/** How each handle createDb made reaches its server: for connections outside the pool (LISTEN). */
const origins = new WeakMap<Database, DatabaseOrigin>()

/** Where a database handle made by createDb lives; undefined for any other handle. */
export function originOf (db: Database): DatabaseOrigin | undefined {
  return origins.get(db)
}

/** `derived` (the handle with plugins that `source.withPlugin` made) reaches the same servers as `source`. */
export function sameOrigin (derived: Database, source: Database): Database {
  const origin = origins.get(source)
  if (origin) origins.set(derived, origin)
  return derived
}

/**
 * pg's query_timeout only stops waiting: the connection goes back to the pool with the lost
 * query still ahead of every later one. Over a link gone silent (packets dropped, no RST) it
 * never answers again, and each pooled connection would fail every request for as long as the
 * kernel keeps it (many minutes). Ending it makes the pool discard it and connect afresh.
 */
class EndOnTimeoutClient extends pg.Client {
  override query (...args: unknown[]): any {
    const result = (pg.Client.prototype.query as (...args: unknown[]) => unknown).apply(this, args)
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === 'Query read timeout') this.end().catch(() => {})
      })
    }
    return result
  }
}

/**
 * A pool of connections to the server(s) `url` names: a libpq host list (`h1:p1,h2:p2`) is tried
 * host by host, and target_session_attrs=read-write refuses a standby (multi-host.ts).
 */
function postgresPool (url: string, max: number, timeouts: DatabaseTimeouts): pg.Pool {
  const pool = new pg.Pool({
    Client: hostListClient(parseHostList(url), EndOnTimeoutClient),
    max,
    // Bounds both a new connection and the wait for a pooled one.
    connectionTimeoutMillis: timeouts.connectMs,
    // A replica losing its database must not hang requests forever.
    query_timeout: timeouts.queryMs,
    application_name: 'tessera'
  })
  // A client losing its server emits `error`; unheard, it would crash the process. pg-pool
  // listens on idle clients only (an idle one is dropped and re-emitted on the pool), not on
  // checked-out ones: a backend terminated mid-transaction would go unheard. The query in
  // flight fails with the cause (a 503), and the client, no longer queryable, is discarded
  // on release; the next checkout opens a fresh connection.
  pool.on('error', () => {})
  pool.on('connect', (client) => { client.on('error', () => {}) })
  return pool
}

/** PostgreSQL when a URL is given; else an embedded PGlite kept under DATA_DIR (in memory without one). */
export function createDb (options: DatabaseOptions): DatabaseHandle {
  if (options.databaseUrl) {
    const timeouts = options.timeouts ?? { connectMs: 5000, queryMs: 30_000 }
    const pool = postgresPool(options.databaseUrl, options.poolMax ?? 10, timeouts)
    const readUrls = options.readUrls ?? []
    const replicas = readUrls.length === 0
      ? undefined
      : new ReadReplicas(pool, readUrls.map((url) => ({ pool: postgresPool(url, options.poolMax ?? 10, timeouts), location: redactUrl(url) })), options.primaryOnlyTables)
    const dialectConfig = { pool: { options: pool.options, connect: connectTryingEachHost(pool, parseHostList(options.databaseUrl).hosts.length), end: () => pool.end() } }
    const db = new Kysely<DB>({ dialect: replicas ? new ReplicaRoutingDialect(dialectConfig, replicas) : new PostgresDialect(dialectConfig) })
    const direct = parseHostList(options.directUrl ?? options.databaseUrl)
    const DirectClient = hostListClient(direct)
    origins.set(db, { kind: 'postgres', url: options.databaseUrl, timeouts, pool, directClient: (config) => new DirectClient(config), replicas })
    return { db, kind: 'postgres', location: redactUrl(options.databaseUrl) }
  }
  // PGlite is started on first use, not here: a handle destroyed before any query (a CLI command
  // that fails early) would otherwise leave PGlite initialising DATA_DIR, never closed.
  if (options.dataDir === undefined) return embedded(() => new PGlite(), 'memory')
  const directory = resolve(join(options.dataDir, 'pgdata'))
  mkdirSync(directory, { recursive: true })
  return embedded(() => new PGlite(directory), directory)
}

/** A PGlite database: one process's own (DATA_DIR is locked), so every write to it is this process's. */
export function embedded (pglite: PGlite | (() => PGlite), location: string): DatabaseHandle {
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  origins.set(db, { kind: 'pglite' })
  return { db, kind: 'pglite', location }
}

function redactUrl (url: string): string {
  // A host list (h1:p1,h2:p2) is no WHATWG URL: only its hosts are shown.
  if (/^[^/]*\/\/[^/?#]*,/.test(url)) {
    try {
      return parseHostList(url).hosts.map(({ host, port }) => `${host}:${port}`).join(',')
    } catch {
      return 'postgres'
    }
  }
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres'
  }
}
