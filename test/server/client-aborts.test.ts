import { connect } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { capturedLog } from '../helpers/captured-log.js'
import { eventually } from '../helpers/eventually.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

/**
 * A client that gives up mid-request is no fault of the server's: Node reports its body's end as
 * `aborted` with code ECONNRESET, the code of a database connection reset too.
 */
let database: TestDatabase
let app: App
let port: number
const { log, lines } = capturedLog('info')
beforeAll(async () => {
  database = await createTestDatabase()
  app = await buildApp({ config: testConfig({ LOG_LEVEL: 'info' }), db: database.db, logger: log })
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
})
afterAll(async () => {
  await app?.close()
  await database?.drop()
})

it('logs a client that closes the connection while its body is read as the client going away, at info, never as the database failing', async () => {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write('POST /v2.0/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"auth":{}')
  // The request reached the app (its start is logged), then the client leaves.
  const started = await eventually(() => {
    const line = lines.find((entry) => entry.msg === 'incoming request' && (entry.req as { url?: string }).url === '/v2.0/tokens')
    expect(line).toBeDefined()
    return line!
  })
  socket.destroy()

  const refused = await eventually(() => {
    const line = lines.find((entry) => entry.msg === 'request refused')
    expect(line).toBeDefined()
    return line!
  })
  expect(refused).toEqual({
    level: 30,
    time: expect.any(Number),
    pid: process.pid,
    hostname: expect.any(String),
    reqId: started.reqId,
    status: 400,
    error: 'InvalidInput',
    reason: 'The client closed the connection before sending its whole request.',
    msg: 'request refused'
  })
  expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([])
  // One refusal, of that request: the connection's end is not a malformed request of its own.
  expect(lines.filter((line) => line.msg === 'request refused')).toHaveLength(1)
})
