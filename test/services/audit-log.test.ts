import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { lazyRequestLoggers } from '../../src/request-logger.js'
import { auditRow, logAuditEvent } from '../../src/services/audit.js'
import { capturedLog } from '../helpers/captured-log.js'

const row = auditRow(
  { actor: { kind: 'user', id: 'u-1', name: 'alice' }, requestId: 'req-1', clientIp: '127.0.0.1' },
  { kind: 'agent-token.created', accountId: 'a-1', object: { type: 'agent-token', id: 'ab12' }, details: { label: 'x' } }
)

describe('logAuditEvent', () => {
  it('writes each event as an info line, its details as an object', () => {
    const { log, lines } = capturedLog('info')
    logAuditEvent(log, row)
    expect(lines).toEqual([expect.objectContaining({
      level: 30,
      msg: 'audit event',
      audit: { account_id: 'a-1', kind: 'agent-token.created', actor_kind: 'user', actor_id: 'u-1', actor_name: 'alice', actor_credential: null, object_type: 'agent-token', object_id: 'ab12', reason: null, request_id: 'req-1', client_ip: '127.0.0.1', details: { label: 'x' } }
    })])
  })

  it('writes nothing, and reads nothing of the event, when info lines are off (a request\'s logger too)', async () => {
    const { log, lines } = capturedLog('warn')
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
