import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyRequestLoggers } from '../../src/request-logger.js'
import { auditRow, logAuditEvent } from '../../src/services/audit.js'

const row = auditRow(
  { actor: { kind: 'user', id: 'u-1', name: 'alice' }, requestId: 'req-1', clientIp: '127.0.0.1' },
  { kind: 'agent-token.created', accountId: 'a-1', object: { type: 'agent-token', id: 'ab12' }, details: { label: 'x' } }
)

/** pino at `level`, and the lines it wrote. */
function loggerAt (level: string) {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    }
  })
  return { log: pino({ level }, sink), lines }
}

describe('logAuditEvent', () => {
  it('writes each event as an info line, its details as an object', () => {
    const { log, lines } = loggerAt('info')
    logAuditEvent(log, row)
    expect(lines).toEqual([expect.objectContaining({
      level: 30,
      msg: 'audit event',
      audit: { account_id: 'a-1', kind: 'agent-token.created', actor_kind: 'user', actor_id: 'u-1', actor_name: 'alice', object_type: 'agent-token', object_id: 'ab12', reason: null, request_id: 'req-1', client_ip: '127.0.0.1', details: { label: 'x' } }
    })])
  })

  it('writes nothing, and reads nothing of the event, when info lines are off (a request\'s logger too)', async () => {
    const { log, lines } = loggerAt('warn')
    // Details that are not JSON would throw if they were parsed.
    logAuditEvent(log, { ...row, details: 'not JSON' })
    const app = Fastify({ loggerInstance: log, childLoggerFactory: lazyRequestLoggers })
    app.get('/', async (request) => {
      logAuditEvent(request.log, { ...row, details: 'not JSON' })
      return {}
    })
    expect((await app.inject('/')).statusCode).toBe(200)
    await app.close()
    expect(lines).toEqual([])
  })
})
