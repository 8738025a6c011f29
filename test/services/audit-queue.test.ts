import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { auditRow } from '../../src/services/audit.js'
import { AuditQueue, DROPPED_KIND } from '../../src/services/audit-queue.js'
import { capturedLog } from '../helpers/captured-log.js'
import { eventually } from '../helpers/eventually.js'
import { unique } from '../helpers/factories.js'
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

  async function lastDroppedCount (): Promise<unknown> {
    const row = await database.db.selectFrom('audit_events').select(['details', 'actor_kind']).where('kind', '=', DROPPED_KIND).orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(row.actor_kind).toBe('server')
    return row.details
  }

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
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, dropped: 1, why: 'the audit queue was full', msg: 'audit: events dropped' }),
      expect.objectContaining({ level: 40, dropped: 1, why: 'the audit queue was full', msg: 'audit: events dropped' }),
      expect.objectContaining({ level: 40, dropped: 2, msg: 'audit: recorded the number of events dropped' })
    ])
    expect(await lastDroppedCount()).toEqual({ count: 2 })
  })

  it('writes on its own after flushMs', async () => {
    const queue = new AuditQueue(database.db, logger().log, { capacity: 10, batchSize: 10, flushMs: 10 })
    const requestId = unique('timer')
    queue.push(refusal(requestId, 'expired'))
    await eventually(async () => expect(await rowsOf(requestId)).toEqual([{ reason: 'expired' }]))
  })

  it('loses only the row the database refuses, never the batch around it, and records the loss', async () => {
    const { log, lines } = logger()
    const queue = new AuditQueue(database.db, log, { capacity: 10, batchSize: 10, flushMs: 60_000 })
    const requestId = unique('poisoned')
    queue.push(refusal(requestId, 'before'))
    // A row no event makes (auditRow makes every text storable): jsonb refuses the escaped NUL.
    queue.push({ ...refusal(requestId, 'poison'), details: '{"login":"\\u0000"}' })
    queue.push(refusal(requestId, 'after'))
    await queue.flush()

    expect(await rowsOf(requestId)).toEqual([{ reason: 'before' }, { reason: 'after' }])
    expect(lines[0]).toMatchObject({ level: 40, dropped: 1, msg: 'audit: events dropped', why: `the database refused a authentication.denied row of request ${requestId}` })
    expect(await lastDroppedCount()).toEqual({ count: 1 })
  })

  // PGlite has no connection to lose.
  it.runIf(inject('testDatabase').kind === 'postgres')('counts what it loses while the database is away, to be recorded with the next write that succeeds', async () => {
    const { log, lines } = logger()
    const gone = await createTestDatabase()
    await gone.drop()
    const queue = new AuditQueue(gone.db, log, { capacity: 10, batchSize: 10, flushMs: 60_000 })
    queue.push(refusal(unique('lost'), 'a'))
    queue.push(refusal(unique('lost'), 'b'))
    await queue.flush()
    expect(queue.dropped).toBe(2)
    expect(lines[0]).toMatchObject({ level: 40, dropped: 2, why: 'the database is unavailable' })
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
