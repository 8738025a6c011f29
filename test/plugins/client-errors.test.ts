import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen } from '../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/**
 * Requests Node's HTTP parser refuses never reach Fastify's routing, and inject() bypasses the
 * parser: these go over a real socket, as raw bytes.
 */
let t: TestApp
let port: number
beforeAll(async () => {
  t = await setupTestApp()
  port = Number(new URL(await listen(t.app)).port)
})
afterAll(() => t?.close())

interface RawReply {
  status: number
  headers: Record<string, string>
  body: string
  /** The body's length in bytes, to compare with Content-Length. */
  bodyBytes: number
}

/** Writes `bytes` on a fresh connection and reads everything until the server closes it. */
function exchange (bytes: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close; got ${Buffer.concat(chunks).toString()}`)) }, 5000)
    socket.on('close', () => {
      clearTimeout(timer)
      const raw = Buffer.concat(chunks)
      const split = raw.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
      }))
      const body = raw.subarray(split + 4)
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8'), bodyBytes: body.length })
    })
  })
}

/** Every such reply is a whole HTTP/1.1 message: exact length, JSON, and the connection closed. */
function expectComplete (reply: RawReply): void {
  expect(Number(reply.headers['content-length'])).toBe(reply.bodyBytes)
  expect(reply.headers.connection).toBe('close')
  expect(reply.headers['content-type']).toMatch(/^application\/json; charset=(utf|UTF)-8$/)
  expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  expect(reply.headers['x-content-type-options']).toBe('nosniff')
}

describe('a request Node\'s HTTP parser refuses', () => {
  it('a control character in a header under /v2.0: 400 in Keystone\'s words', async () => {
    const reply = await exchange('GET /v2.0/tenants HTTP/1.1\r\nHost: localhost\r\nX-Auth-Token: abc\u0001def\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(reply.headers['x-openstack-request-id']).toBe(`req-${reply.headers['x-request-id']}`)
    expect(reply.headers.vary).toBe('X-Auth-Token')
    expect(JSON.parse(reply.body)).toEqual({ error: { message: expect.stringMatching(/^The request is not valid HTTP \(.+\)\.$/), code: 400, title: 'Bad Request' } })
  })

  it('raw non-ASCII in the URL under /v1.0: 400 in Monitoring\'s words', async () => {
    const reply = await exchange(Buffer.concat([
      Buffer.from('GET /v1.0/123456/agent_tokens/'), Buffer.from('é', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: localhost\r\n\r\n')
    ]))
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(reply.headers['content-type']).toBe('application/json; charset=UTF-8')
    expect(reply.headers['x-ratelimit-limit']).toBe('50000')
    expect(JSON.parse(reply.body)).toEqual({
      type: 'badRequest', code: 400, message: 'Validation error', details: expect.stringMatching(/^The request is not valid HTTP/), txnId: reply.headers['x-response-id']
    })
  })

  it('a space in the query under /admin/v1: 400 in Tessera\'s words', async () => {
    const reply = await exchange('GET /admin/v1/accounts?name=a b HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(JSON.parse(reply.body)).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: expect.stringMatching(/^The request is not valid HTTP/) })
  })

  it('a 20 KB header: 431 in the family\'s words', async () => {
    const big = `X-Padding: ${'a'.repeat(20 * 1024)}\r\n`
    const keystone = await exchange(`GET /v2.0/tenants HTTP/1.1\r\nHost: localhost\r\n${big}\r\n`)
    expect(keystone.status).toBe(431)
    expectComplete(keystone)
    expect(JSON.parse(keystone.body)).toEqual({ error: { message: 'The request\'s headers are too large.', code: 431, title: 'Request Header Fields Too Large' } })

    const monitoring = await exchange(`GET /v1.0/123456/agent_tokens HTTP/1.1\r\nHost: localhost\r\n${big}\r\n`)
    expect(monitoring.status).toBe(431)
    expectComplete(monitoring)
    expect(JSON.parse(monitoring.body)).toEqual({
      type: 'requestTooLargeError', code: 431, message: 'Request headers too large', details: 'The request\'s headers are too large.', txnId: monitoring.headers['x-response-id']
    })

    const admin = await exchange(`GET /admin/v1/accounts HTTP/1.1\r\nHost: localhost\r\n${big}\r\n`)
    expect(admin.status).toBe(431)
    expectComplete(admin)
    expect(JSON.parse(admin.body)).toEqual({ statusCode: 431, code: 'TESSERA_HEADERS_TOO_LARGE', message: 'The request\'s headers are too large.' })
  })

  it('at `/`, Keystone\'s version discovery: Keystone\'s words', async () => {
    const reply = await exchange('GET /?a b HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(JSON.parse(reply.body)).toEqual({ error: { message: expect.stringMatching(/^The request is not valid HTTP/), code: 400, title: 'Bad Request' } })
  })

  it('with no request line to read: Tessera\'s words', async () => {
    const reply = await exchange('\u0001\u0002 garbage\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(JSON.parse(reply.body)).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: expect.stringMatching(/^The request is not valid HTTP/) })
  })

  it('pipelined behind a request still awaiting its reply: closed unanswered, never a 400 that reads as the first one\'s', async () => {
    const chunks: Buffer[] = []
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /v2.0 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v2.0/tenants HTTP/1.1\r\nX-Auth-Token: a\u0001\r\n\r\n'))
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('error', reject)
      socket.on('close', () => resolve())
    })
    expect(Buffer.concat(chunks).toString()).not.toMatch(/^HTTP\/1\.1 400/)
  })
})

describe('CONNECT, Upgrade: requests Node hands to listeners of their own', () => {
  it('CONNECT host:port: 400 in Tessera\'s words, as this is no proxy, never a silent close', async () => {
    const reply = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(JSON.parse(reply.body)).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'This server is not a proxy: CONNECT is not supported.' })
  })

  it('CONNECT to a family\'s path: 400 in its words', async () => {
    const reply = await exchange('CONNECT /v2.0/tokens HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect(reply.status).toBe(400)
    expectComplete(reply)
    expect(JSON.parse(reply.body)).toEqual({ error: { message: 'This server is not a proxy: CONNECT is not supported.', code: 400, title: 'Bad Request' } })
  })

  it('Upgrade: served as the plain request it also is, since nothing here upgrades', async () => {
    const reply = await exchange('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n')
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' })
  })
})

describe('a wrong method on `/`', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'] as const)('%s /: Keystone\'s 404', async (method) => {
    const response = await t.app.inject({ method, url: '/' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { message: '(http://localhost:80/): The resource could not be found.', code: 404, title: 'Not Found' } })
  })

  it('leaves other unknown root paths to Tessera\'s own dialect', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/nope' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ statusCode: 404, code: 'TESSERA_NOT_FOUND', message: 'No route for POST /nope.' })
  })
})
