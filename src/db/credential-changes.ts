import type { FastifyBaseLogger } from 'fastify'
import pg from 'pg'
import type { CredentialCache } from '../core/credential-cache.js'
import { originOf, type Database } from './database.js'

/** The channel migration 0008's triggers notify: a cache key (`session:<hash>`) or `*` for all. */
export const CREDENTIALS_CHANNEL = 'tessera_credentials'
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 5000

export interface CredentialChanges {
  /** This process changed credentials: empty the caches that would not hear of it otherwise. */
  flushLocal (): void
  close (): Promise<void>
}

/** The caches of every app on one embedded database (one process; tests run several apps on it). */
const embeddedCaches = new WeakMap<Database, Set<CredentialCache>>()

/**
 * Keeps `cache` in step with the database. On PostgreSQL, a connection of its own LISTENs for
 * the triggers' notifications, from every replica and the CLI alike; while it is down the cache
 * is off and every credential is read from the database, and it reconnects by itself. The
 * embedded database has one process, whose own writes (FlushOnWrite) are all there is to hear.
 * A handle of unknown origin gets no cache at all.
 */
export function followCredentialChanges (db: Database, cache: CredentialCache, log: FastifyBaseLogger, applicationName = 'tessera-notify'): CredentialChanges {
  const origin = originOf(db)
  if (origin?.kind === 'pglite') {
    const caches = embeddedCaches.get(db) ?? new Set()
    embeddedCaches.set(db, caches)
    caches.add(cache)
    cache.enable()
    return {
      flushLocal: () => { for (const each of caches) each.flush() },
      async close () { caches.delete(cache) }
    }
  }
  if (origin === undefined) return { flushLocal: () => cache.flush(), async close () {} }

  let closed = false
  let client: pg.Client | undefined
  let retryTimer: NodeJS.Timeout | undefined
  let delay = RECONNECT_MIN_MS

  const lost = (error?: Error) => {
    if (closed) return
    if (cache.enabled) log.warn({ err: error }, 'credential notifications lost: validating every credential against the database until they are back')
    cache.disable()
    client?.removeAllListeners()
    client?.on('error', () => {})
    client?.end().catch(() => {})
    client = undefined
    retryTimer = setTimeout(connect, delay)
    delay = Math.min(delay * 2, RECONNECT_MAX_MS)
  }

  async function connect (): Promise<void> {
    retryTimer = undefined
    if (closed) return
    const next = new pg.Client({ connectionString: origin!.kind === 'postgres' ? origin!.url : undefined, application_name: applicationName, connectionTimeoutMillis: 5000 })
    client = next
    next.on('error', lost)
    next.on('end', () => lost())
    next.on('notification', ({ payload }) => {
      if (payload === undefined || payload === '*') cache.flush()
      else cache.forget(payload)
    })
    try {
      await next.connect()
      await next.query(`listen ${CREDENTIALS_CHANNEL}`)
    } catch (error) {
      if (client === next) lost(error as Error)
      return
    }
    if (closed || client !== next) return
    delay = RECONNECT_MIN_MS
    cache.enable()
    log.debug('listening for credential changes')
  }

  connect().catch(() => {})
  return {
    flushLocal: () => cache.flush(),
    async close () {
      closed = true
      cache.disable()
      if (retryTimer) clearTimeout(retryTimer)
      const last = client
      client = undefined
      last?.removeAllListeners()
      last?.on('error', () => {})
      await last?.end().catch(() => {})
    }
  }
}
