import type { FastifyBaseLogger } from 'fastify'
import type pg from 'pg'
import type { NotifiedCache } from '../core/notified-cache.js'
import { originOf, type Database } from './database.js'
import type { LocalInvalidation } from './flush-on-write.js'
import { EVERY_KEY } from './notified-keys.js'

/** The channel migration 0008's triggers notify: a cache key (`session:<hash>`) or `*` for all. */
export const CREDENTIALS_CHANNEL = 'tessera_credentials'
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 5000
/**
 * How often the LISTEN connection is asked `select 1`. An idle connection whose link went silent
 * (packets dropped, no RST) hears nothing and reports nothing: only a question that goes
 * unanswered within the connect timeout reveals it, and then the cache turns off.
 */
const HEARTBEAT_MS = 1000

/** An app's caches: validated credentials, and the objects of hot reads. */
export interface AppCaches {
  credentials: NotifiedCache
  reads: NotifiedCache
}

export interface CredentialChanges {
  /** This process wrote what `which` may hold: empty it where no notification would tell. */
  flushLocal (which: keyof AppCaches): void
  /** This process wrote what the entries `key` names in `which` may hold: drop them where no notification would tell. */
  forgetLocal (which: keyof AppCaches, key: string): void
  /** Whether the LISTEN connection is up; undefined where there is none to have (the embedded database). */
  connected (): boolean | undefined
  /**
   * The last heartbeat's round trip on the LISTEN connection, in ms (undefined before the first):
   * notifications arrive on that connection, so none comes sooner after its commit.
   */
  heartbeatMs (): number | undefined
  close (): Promise<void>
}

/** The caches of every app on one embedded database (one process; tests run several apps on it). */
const embeddedCaches = new WeakMap<Database, Set<AppCaches>>()

/** Applies `apply` to both caches. */
function each (caches: AppCaches, apply: (cache: NotifiedCache) => void): void {
  apply(caches.credentials)
  apply(caches.reads)
}

/**
 * Keeps `caches` in step with the database. On PostgreSQL, a connection of its own LISTENs for
 * the triggers' notifications, from every replica and the CLI alike; while it is down the caches
 * are off and everything is read from the database, and it reconnects by itself. The embedded
 * database has one process, whose own writes (FlushOnWrite) are all there is to hear. A handle
 * of unknown origin gets no cache at all.
 */
export function followCredentialChanges (db: Database, caches: AppCaches, log: FastifyBaseLogger, applicationName = 'tessera-notify'): CredentialChanges {
  const origin = originOf(db)
  if (origin?.kind === 'pglite') {
    const apps = embeddedCaches.get(db) ?? new Set()
    embeddedCaches.set(db, apps)
    apps.add(caches)
    each(caches, (cache) => cache.enable())
    return {
      flushLocal: (which) => { for (const app of apps) app[which].flush() },
      forgetLocal: (which, key) => { for (const app of apps) app[which].forget(key) },
      connected: () => undefined,
      heartbeatMs: () => undefined,
      async close () { apps.delete(caches) }
    }
  }
  if (origin === undefined) return { flushLocal: (which) => caches[which].flush(), forgetLocal: (which, key) => caches[which].forget(key), connected: () => false, heartbeatMs: () => undefined, async close () {} }

  let closed = false
  let client: pg.Client | undefined
  let retryTimer: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let delay = RECONNECT_MIN_MS
  let listening = false
  let heartbeatMs: number | undefined
  const { timeouts: { connectMs }, replicas, directClient } = origin
  // Read replicas are trusted only while this connection hears every change (read-replicas.ts).
  const stopListening = () => {
    if (listening) replicas?.listening(false)
    listening = false
  }

  const lost = (error?: Error) => {
    if (closed) return
    stopListening()
    if (caches.credentials.enabled) log.warn({ err: error }, 'credential notifications lost: validating every credential against the database until they are back')
    each(caches, (cache) => cache.disable())
    clearInterval(heartbeat)
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
    // A `select 1` or a LISTEN takes one round trip: unanswered within the connect timeout, the link is gone.
    const next = directClient({ application_name: applicationName, connectionTimeoutMillis: connectMs, query_timeout: connectMs })
    client = next
    next.on('error', lost)
    next.on('end', () => lost())
    next.on('notification', ({ payload }) => {
      replicas?.changed()
      if (payload === undefined || payload === EVERY_KEY) each(caches, (cache) => cache.flush())
      else each(caches, (cache) => cache.forget(payload))
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
    let asking = false
    heartbeat = setInterval(() => {
      if (asking) return
      asking = true
      const sent = performance.now()
      next.query('select 1').then(() => {
        asking = false
        heartbeatMs = performance.now() - sent
      }, (error: Error) => { if (client === next) lost(error) })
    }, HEARTBEAT_MS).unref()
    each(caches, (cache) => cache.enable())
    listening = true
    replicas?.listening(true, log)
    log.debug('listening for credential changes')
  }

  connect().catch(() => {})
  return {
    flushLocal: (which) => caches[which].flush(),
    forgetLocal: (which, key) => caches[which].forget(key),
    connected: () => listening,
    heartbeatMs: () => heartbeatMs,
    async close () {
      closed = true
      stopListening()
      each(caches, (cache) => cache.disable())
      clearInterval(heartbeat)
      if (retryTimer) clearTimeout(retryTimer)
      const last = client
      client = undefined
      last?.removeAllListeners()
      last?.on('error', () => {})
      await last?.end().catch(() => {})
    }
  }
}

/** The in-process invalidation of one of the app's caches, for its FlushOnWrite. */
export function localInvalidation (changes: CredentialChanges, which: keyof AppCaches): LocalInvalidation {
  return { flush: () => changes.flushLocal(which), forget: (key) => changes.forgetLocal(which, key) }
}
