import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditRow } from '../../src/services/audit.js'
import { DenialQueue } from '../../src/services/denial-queue.js'
import { capturedLog } from '../helpers/captured-log.js'
import { eventually } from '../helpers/eventually.js'
import { unique } from '../helpers/factories.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

describe('DenialQueue', () => {
  let database: TestDatabase
  beforeAll(async () => { database = await createTestDatabase() })
  afterAll(() => database.drop())

  const logger = () => capturedLog('warn')

  const refusal = (requestId: string, reason: string) => auditRow({ actor: { kind: 'anonymous', id: null, name: null }, requestId, clientIp: null }, { kind: 'authentication.denied', accountId: null, reason })

  async function rowsOf (requestId: string) {
    return database.db.selectFrom('audit_events').select(['reason']).where('request_id', '=', requestId).orderBy('id').execute()
  }

  it('holds at most `capacity` refusals, writes them in batches, and records how many it dropped', async () => {
    const { log, lines } = logger()
    const queue = new DenialQueue(database.db, log, { capacity: 3, batchSize: 2, flushMs: 60_000 })
    const requestId = unique('flood')
    for (const reason of ['a', 'b', 'c', 'd', 'e']) queue.push(refusal(requestId, reason))
    expect(queue.dropped).toBe(2)
    expect(await rowsOf(requestId)).toEqual([])

    await queue.flush()
    expect(await rowsOf(requestId)).toEqual([{ reason: 'a' }, { reason: 'b' }, { reason: 'c' }])
    expect(queue.dropped).toBe(0)
    expect(lines).toEqual([expect.objectContaining({ level: 40, dropped: 2, msg: 'audit: refusals dropped, the denial queue was full' })])
    const dropped = await database.db.selectFrom('audit_events').select(['details']).where('kind', '=', 'denials.dropped').orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(dropped.details).toEqual({ count: 2 })
  })

  it('writes on its own after flushMs', async () => {
    const queue = new DenialQueue(database.db, logger().log, { capacity: 10, batchSize: 10, flushMs: 10 })
    const requestId = unique('timer')
    queue.push(refusal(requestId, 'expired'))
    await eventually(async () => expect(await rowsOf(requestId)).toEqual([{ reason: 'expired' }]))
  })
})
