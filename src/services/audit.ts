import { isIP } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { Actor } from '../core/refusal.js'
import { storableText } from '../core/storable-text.js'
import type { Database } from '../db/database.js'
import { insertAuditEvents, type NewAuditEvent } from '../db/repositories/audit-events.js'

/** Where a change or a refusal came from; the same for every event of one request. */
export interface AuditContext {
  actor: Actor
  /** The accessor of the credential the actor presented, when it is a stored one. */
  actorCredential?: string | null | undefined
  requestId: string | null
  clientIp: string | null
  /** Each event is also a structured log line here (the CLI has none). */
  log?: FastifyBaseLogger | undefined
  /** Told of each event once it is recorded (the server's metrics count issues and revocations). */
  observe?: ((row: NewAuditEvent) => void) | undefined
}

export const CLI_CONTEXT: AuditContext = { actor: { kind: 'cli', id: null, name: 'tessera-cli' }, requestId: null, clientIp: null }

/** The server itself at start: the first administrator it creates from TESSERA_ADMIN_* (services/bootstrap). */
export const BOOTSTRAP_CONTEXT: AuditContext = { actor: { kind: 'server', id: null, name: 'tessera-bootstrap' }, requestId: null, clientIp: null }

/** The server itself on its timer: the retention purge (services/retention). */
export const RETENTION_CONTEXT: AuditContext = { actor: { kind: 'server', id: null, name: 'tessera-retention' }, requestId: null, clientIp: null }

/** What happened: never a secret, in `details` neither. */
export interface AuditEvent {
  kind: string
  accountId: string | null
  object?: { type: string, id: string } | undefined
  reason?: string | undefined
  details?: Record<string, unknown> | undefined
}

/** The longest text each column takes (migrations 0010's and 0014's checks, in characters). */
const COLUMN_LIMITS = { actor_id: 255, actor_name: 255, actor_credential: 64, object_id: 512, reason: 64, request_id: 128 } as const

/**
 * Text as PostgreSQL can store it in a column of at most `limit` characters, or null. Cut before
 * it is made storable: a cut through a surrogate pair leaves half of one, which becomes U+FFFD.
 */
function storable (text: string | null | undefined, limit = Infinity): string | null {
  return text === null || text === undefined ? null : storableText(text.length > limit ? text.slice(0, limit) : text)
}

/** Details nest only a few levels; anything deeper is not kept. */
const MAX_DETAILS_DEPTH = 8

/** `value` with every string and key storable: a NUL or a lone surrogate a client sent must not make its row unwritable. */
function storableDetails (value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value)
  if (typeof value !== 'object' || value === null || value instanceof Date) return value
  if (depth >= MAX_DETAILS_DEPTH) return '[nested too deep]'
  if (Array.isArray(value)) return value.map((item) => storableDetails(item, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableDetails(item, depth + 1)]))
}

/**
 * The row of an event. Whatever a client sent that it quotes (a login name, a host id, an
 * address) is made storable here, and cut to its column's length, so that no input can make
 * the row, or the statement or batch holding it, fail to write.
 */
export function auditRow (context: AuditContext, event: AuditEvent): NewAuditEvent {
  return eventRow(contextColumns(context), event, JSON.stringify(storableDetails(event.details ?? {})))
}

/** The columns an event's context gives its row: the same for every event of one request. */
type ContextColumns = Pick<NewAuditEvent, 'actor_kind' | 'actor_id' | 'actor_name' | 'actor_credential' | 'request_id' | 'client_ip'>

function contextColumns (context: AuditContext): ContextColumns {
  return {
    actor_kind: context.actor.kind,
    actor_id: storable(context.actor.id, COLUMN_LIMITS.actor_id),
    actor_name: storable(context.actor.name, COLUMN_LIMITS.actor_name),
    actor_credential: storable(context.actorCredential, COLUMN_LIMITS.actor_credential),
    request_id: storable(context.requestId, COLUMN_LIMITS.request_id),
    // Under TRUST_PROXY the address is what X-Forwarded-For says: only an address is kept.
    client_ip: context.clientIp !== null && isIP(context.clientIp) !== 0 ? context.clientIp : null
  }
}

/** The row of an event, from its context's columns and its details as stored (JSON). */
function eventRow (columns: ContextColumns, event: AuditEvent, details: string): NewAuditEvent {
  return {
    account_id: storable(event.accountId),
    kind: event.kind,
    actor_kind: columns.actor_kind,
    actor_id: columns.actor_id,
    actor_name: columns.actor_name,
    actor_credential: columns.actor_credential,
    object_type: event.object?.type ?? null,
    object_id: storable(event.object?.id, COLUMN_LIMITS.object_id),
    reason: storable(event.reason, COLUMN_LIMITS.reason),
    request_id: columns.request_id,
    client_ip: columns.client_ip,
    details
  }
}

/** Whether `log` writes info lines: pino's loggers say (Fastify's type leaves the method out); others are asked anyway. */
function writesInfo (log: FastifyBaseLogger): boolean {
  return (log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true
}

export function logAuditEvent (log: FastifyBaseLogger | undefined, row: NewAuditEvent, details?: unknown): void {
  // Its details are parsed back for the line (unless the caller has them): not at all when no line is written.
  if (!log || !writesInfo(log)) return
  const { details: stored, ...rest } = row
  log.info({ audit: { ...rest, details: details ?? JSON.parse(stored as string) } }, 'audit event')
}

/** Says a recorded event: as a log line, and to the context's observer. */
export function reportAuditEvent (context: AuditContext, row: NewAuditEvent, details?: unknown): void {
  logAuditEvent(context.log, row, details)
  context.observe?.(row)
}

/** Runs `work` in the transaction `db` already is, or in a new one. */
export function inTransaction<T> (db: Database, work: (trx: Database) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work)
}

/**
 * Runs a change and records what `describe` says of its result in the same transaction: the
 * change and its audit rows commit together or not at all. Nothing is recorded when `describe`
 * returns no event (the change changed nothing).
 */
export async function audited<T> (db: Database, context: AuditContext, work: (trx: Database) => Promise<T>, describe: (result: T) => AuditEvent | readonly AuditEvent[] | undefined): Promise<T> {
  let rows: NewAuditEvent[] = []
  const result = await inTransaction(db, async (trx) => {
    const value = await work(trx)
    const events = describe(value)
    rows = (events === undefined ? [] : Array.isArray(events) ? events : [events]).map((event: AuditEvent) => auditRow(context, event))
    await insertAuditEvents(trx, rows)
    return value
  })
  for (const row of rows) reportAuditEvent(context, row)
  return result
}

/**
 * For a change that writes its audit rows itself, in the statement that makes the change (a
 * data-modifying WITH: atomic in one round trip, no transaction): `write` makes each row with
 * `rowOf`, and every row made is logged once `write` succeeded, as `audited` does. So `write`
 * makes one statement and does not retry it.
 */
export async function auditedInStatement<T> (context: AuditContext, write: (rowOf: (event: AuditEvent) => NewAuditEvent) => Promise<T>): Promise<T> {
  // A request may make a thousand rows (a thousand tokens): its context, and each details object
  // its events share, are made storable, serialised and parsed back for the log once.
  const columns = contextColumns(context)
  const storedDetails = new WeakMap<object, { json: string, value: unknown }>()
  const made: Array<{ row: NewAuditEvent, details: unknown }> = []
  const result = await write((event) => {
    const given = event.details ?? {}
    let details = storedDetails.get(given)
    if (!details) {
      const json = JSON.stringify(storableDetails(given))
      storedDetails.set(given, details = { json, value: JSON.parse(json) })
    }
    const row = eventRow(columns, event, details.json)
    made.push({ row, details: details.value })
    return row
  })
  for (const { row, details } of made) reportAuditEvent(context, row, details)
  return result
}
