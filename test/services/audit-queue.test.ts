import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { auditRow } from '../../src/services/audit.js'
import { AuditQueue, DROPPED_KIND } from '../../src/services/audit-queue.js'
import { capturedLog } from '../helpers/captured-log.js'
import { eventually } from '../helpers/eventually.js'
import { unique } from '../helpers/factories.js'
import { createDb } from '../../src/db/database.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

describe('AuditQueue', () => {
  let database: TestDatabase
  beforeAll(async () => { database = await createTestDatabase() })
  afterAll(() => database.drop())

  const logger = () => capturedLog('warn')

  const refusal = (requestId: string, reason: string) => auditRow({ actor: { kind: 'anonymous', id: null, name: null }, requestId, clientIp: null }, { kind: 'authentication.denied', accountId: null, reason })

  async function rowsOf (requestId: string) {
    return database.db.selectFrom('audit_events').select(['reason']).where('request_id', '=', requestId).orderBy('id').execute()
  }

  async function lastLoss (): Promise<Record<string, unknown>> {
    const row = await database.db.selectFrom('audit_events').select(['details', 'actor_kind']).where('kind', '=', DROPPED_KIND).orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(row.actor_kind).toBe('server')
    return row.details as Record<string, unknown>
  }

  const INSTANT = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/)

  it('holds at most `capacity` refusals, writes them in batches, and records how many it dropped', async () => {
    const { log, lines } = logger()
    const queue = new AuditQueue(database.db, log, { capacity: 3, batchSize: 2, flushMs: 60_000 })
    const requestId = unique('flood')
    for (const reason of ['a', 'b', 'c', 'd', 'e']) queue.push(refusal(requestId, reason))
    expect(queue.dropped).toBe(2)
    expect(await rowsOf(requestId)).toEqual([])

    await queue.flush()
    expect(await rowsOf(requestId)).toEqual([{ reason: 'a' }, { reason: 'b' }, { reason: 'c' }])
    expect(queue.dropped).toBe(0)
    // One line per flush, however many were dropped.
    expect(lines).toEqual([expect.objectContaining({ level: 40, dropped: { 'queue-full': 2 }, unrecorded: 0, msg: 'audit: events dropped' })])
    expect(await lastLoss()).toEqual({ count: 2, reasons: { 'queue-full': 2 }, from: INSTANT, until: INSTANT })
  })

  it('writes on its own after flushMs', async () => {
    const queue = new AuditQueue(database.db, logger().log, { capacity: 10, batchSize: 10, flushMs: 10 })
    const requestId = unique('timer')
    queue.push(refusal(requestId, 'expired'))
    await eventually(async () => expect(await rowsOf(requestId)).toEqual([{ reason: 'expired' }]))
  })

  it('loses only the rows the database refuses, never the batch around them, and records the loss', async () => {
    const { log, lines } = logger()
    const queue = new AuditQueue(database.db, log, { capacity: 100, batchSize: 100, flushMs: 60_000 })
    const requestId = unique('poisoned')
    const reasons = Array.from({ length: 40 }, (_, index) => `r${index}`)
    for (const reason of reasons) {
      // Rows no event makes (auditRow makes every text storable): jsonb refuses the escaped NUL.
      queue.push(reason === 'r7' || reason === 'r30' ? { ...refusal(requestId, reason), details: '{"login":"\\u0000"}' } : refusal(requestId, reason))
    }
    await queue.flush()

    expect(await rowsOf(requestId)).toEqual(reasons.filter((reason) => reason !== 'r7' && reason !== 'r30').map((reason) => ({ reason })))
    expect(lines).toEqual([expect.objectContaining({ level: 40, dropped: { 'row-refused': 2 }, msg: 'audit: events dropped' })])
    expect(await lastLoss()).toMatchObject({ count: 2, reasons: { 'row-refused': 2 } })
  })

  // PGlite has no connection to lose.
  it.runIf(inject('testDatabase').kind === 'postgres')('counts what it loses while the database is away, and records it once the database is back', async () => {
    const target = new URL(database.url!)
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    const away = createDb({ databaseUrl: proxy.proxied(database.url!), poolMax: 2 }).db
    try {
      const { log, lines } = logger()
      const queue = new AuditQueue(away, log, { capacity: 10, batchSize: 10, flushMs: 20 })
      proxy.cut()
      queue.push(refusal(unique('lost'), 'a'))
      queue.push(refusal(unique('lost'), 'b'))
      await queue.flush()
      expect(queue.dropped).toBe(2)
      expect(lines).toContainEqual(expect.objectContaining({ level: 40, dropped: { 'database-error': 2 }, unrecorded: 2 }))
      // Nothing else is pushed: the queue retries the record of the loss by itself.
      proxy.restore()
      // Reconnecting may take a while on a loaded machine: the deadline is generous, not a window.
      await eventually(async () => expect(await lastLoss()).toMatchObject({ count: 2, reasons: { 'database-error': 2 } }), 20_000, 20)
      expect(queue.dropped).toBe(0)
    } finally {
      await away.destroy()
      await proxy.close()
    }
  })

  it('stores what a client sent that PostgreSQL cannot: NUL and lone surrogates become U+FFFD', async () => {
    const requestId = unique('unstorable')
    const row = auditRow({ actor: { kind: 'user', id: null, name: 'a\u0000b\udfff' }, requestId, clientIp: null },
      { kind: 'authentication.denied', accountId: null, reason: 'wrong\u0000password', details: { login: '\udfff', 'k\u0000': ['\ud800x'] } })
    const queue = new AuditQueue(database.db, logger().log, { capacity: 10, batchSize: 10, flushMs: 60_000 })
    queue.push(row)
    await queue.flush()
    const stored = await database.db.selectFrom('audit_events').select(['actor_name', 'reason', 'details']).where('request_id', '=', requestId).executeTakeFirstOrThrow()
    expect(stored).toEqual({ actor_name: 'a\ufffdb\ufffd', reason: 'wrong\ufffdpassword', details: { login: '\ufffd', 'k\ufffd': ['\ufffdx'] } })
  })
})
