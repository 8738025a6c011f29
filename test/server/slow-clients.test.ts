import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseReply } from '../fuzz/raw-http.js'
import { eventually } from '../helpers/eventually.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const HEADERS_TIMEOUT_MS = 400
const KEEP_ALIVE_TIMEOUT_MS = 300
/**
 * Far below Node's defaults (60 s for headers, 72 s kept alive in Fastify), yet slack enough for a
 * loaded CI machine, or PGlite stalling the test process's event loop for seconds after setup.
 */
const SLACK_MS = 10_000
let t: TestApp
let port: number

beforeAll(async () => {
  t = await setupTestApp({ env: { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), REQUEST_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS), MAX_HEADER_BYTES: '2048' } })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as { port: number }).port
})
afterAll(() => t.close())

interface Connection {
  socket: Socket
  received: () => string
  closed: Promise<number>
}

/** A raw TCP connection to the server; `closed` resolves with the time it was closed at. */
async function open (to = port): Promise<Connection> {
  const socket = connect(to, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let received = ''
  socket.on('data', (chunk) => { received += chunk.toString('latin1') })
  socket.on('error', () => {})
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
  return { socket, received: () => received, closed }
}

describe('slow and oversized clients', () => {
  it('closes a slowloris connection after HEADERS_TIMEOUT_MS, serving other clients meanwhile', async () => {
    // Before the connection exists: the server cannot start counting HEADERS_TIMEOUT_MS earlier.
    const started = Date.now()
    const slow = await open()
    const header = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: '
    let sent = 0
    let dripped = () => {}
    // One byte every 40 ms, never finishing the header section: the slowloris attack.
    const dripping = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(sent < header.length ? header[sent++]! : 'a')
      dripped()
    }, 40)
    try {
      // Meanwhile other clients are served at once: each request after another byte of the slow one.
      for (let request = 0; request < 3; request++) {
        await new Promise<void>((resolve) => { dripped = resolve })
        const response = await fetch(`http://127.0.0.1:${port}/healthz`)
        expect(response.status).toBe(200)
      }
      const closedAt = await slow.closed
      expect(closedAt - started).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20)
      expect(closedAt - started).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS)
      // Node answers 408 before closing (plugins/http/client-error.ts words it in the root's dialect).
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /)
    } finally {
      clearInterval(dripping)
      slow.socket.destroy()
    }
  })

  it('closes an idle kept-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const idle = await open()
    // When the server finished its answer, as Node then starts the keep-alive timer: not when the client read it.
    const answered = new Promise<number>((resolve) => t.app.server.once('request', (_request, response) => response.once('finish', () => resolve(Date.now()))))
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await eventually(() => expect(idle.received()).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\n[^]*"status"/), 5000, 2)
    const closedAt = await idle.closed
    expect(closedAt - await answered).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50)
    expect(closedAt - await answered).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + SLACK_MS)
  })

  it('answers 408 in the family\'s dialect to a request whose declared body never arrives, after REQUEST_TIMEOUT_MS', async () => {
    const stalled = await open()
    // Headers, 10 of the 100 bytes declared, then silence.
    stalled.socket.write('POST /v2.0/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"auth":{}')
    await stalled.closed
    const reply = parseReply(Buffer.from(stalled.received(), 'latin1'))
    expect(reply?.statusCode, stalled.received()).toBe(408)
    expect(JSON.parse(reply!.body)).toEqual({ error: { message: 'The request was not received in time.', code: 408, title: 'Request Timeout' } })
    // The request's own reply: the id its hooks gave it, Keystone's headers, and the connection closed.
    expect(reply!.headers).toMatchObject({ 'x-openstack-request-id': `req-${reply!.headers['x-request-id']}`, connection: 'close', 'content-type': 'application/json; charset=utf-8' })
    expect(stalled.received().match(/HTTP\/1\.1 /g)).toHaveLength(1)
  })

  it('answers 431 to headers over MAX_HEADER_BYTES, in the family\'s dialect', async () => {
    const big = await open()
    big.socket.write(`GET /v2.0 HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`)
    await big.closed
    expect(big.received()).toMatch(/^HTTP\/1\.1 431 /)
    expect(big.received()).toContain('"code":431')
  })
})

describe('kept-alive connections outlasting the request timeout, as with the defaults (72 s and 30 s)', () => {
  let defaultsOrder: TestApp
  beforeAll(async () => {
    defaultsOrder = await setupTestApp({ env: { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1000', KEEP_ALIVE_TIMEOUT_MS: '60000' } })
    await defaultsOrder.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => defaultsOrder?.close())

  it('closes unanswered a connection whose request was answered before its body, which never arrives', async () => {
    const stalled = await open((defaultsOrder.app.server.address() as { port: number }).port)
    // Conjur refuses the missing credential before reading the body: that is the request's one answer.
    stalled.socket.write('POST /host_factory_tokens HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nhost_facto')
    await stalled.closed
    expect(stalled.received()).toMatch(/^HTTP\/1\.1 401 /)
    expect(stalled.received().match(/HTTP\/1\.1 /g)).toHaveLength(1)
  })
})
