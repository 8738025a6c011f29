import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { listen } from '../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/** Errors Fastify raises before routing, and requests that arrive while a replica drains. */
describe('errors outside any route', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  it('answers a malformed URL in the dialect of the family its path names', async () => {
    const keystone = await t.app.inject({ url: '/v2.0/tokens/%zz' })
    expect(keystone.statusCode).toBe(400)
    expect(keystone.headers['x-openstack-request-id']).toMatch(/^req-/)
    expect(keystone.json()).toEqual({ error: { message: expect.stringContaining('is not a valid url component'), code: 400, title: 'Bad Request' } })

    const monitoring = await t.app.inject({ url: '/v1.0/%zz/agent_tokens' })
    expect(monitoring.statusCode).toBe(400)
    expect(monitoring.headers['x-ratelimit-limit']).toBe('50000')
    expect(monitoring.headers['content-type']).toBe('application/json; charset=UTF-8')
    expect(monitoring.json()).toEqual({ type: 'badRequest', code: 400, message: 'Validation error', details: expect.stringContaining('is not a valid url component'), txnId: monitoring.headers['x-response-id'] })

    const admin = await t.app.inject({ url: '/admin/v1/accounts/%zz' })
    expect(admin.statusCode).toBe(400)
    expect(admin.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: expect.stringContaining('is not a valid url component') })
  })

  it('answers an over-long path parameter with 400, not 500', async () => {
    const response = await t.app.inject({ url: `/v2.0/tokens/${'a'.repeat(600)}` })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe(400)
  })

  it('answers a request that arrives while the server drains with 503 in its dialect', async () => {
    const app = await buildApp({ config: t.config, db: t.database.connect() })
    let closing: Promise<void> | undefined
    // Hooks run in the order they were added: the app's own preClose (draining from now on) has run.
    const draining = new Promise<void>((resolve) => app.addHook('preClose', async () => resolve()))
    let refusalSent!: () => void
    const refused = new Promise<void>((resolve) => { refusalSent = resolve })
    app.addHook('onSend', async (request) => { if (request.url === '/v2.0') refusalSent() })
    // A slow request keeps the connection busy while close() begins, so it is not reaped as idle,
    // and until the request pipelined behind it has its answer (Node sends it after this one's).
    app.get('/slow', { schema: { hide: true } }, async () => {
      closing = app.close()
      await refused
      return { slow: true }
    })
    const { port } = new URL(await listen(app))
    let received = ''
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n'))
    socket.on('data', (chunk) => { received += chunk })
    const ended = new Promise<void>((resolve, reject) => { socket.on('close', () => resolve()); socket.on('error', reject) })
    await draining
    socket.write('GET /v2.0 HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await ended
    await closing

    const [first, second] = received.split(/(?=HTTP\/1\.1 )/)
    expect(first).toMatch(/^HTTP\/1\.1 200 /)
    expect(first).toContain('{"slow":true}')
    expect(second).toMatch(/^HTTP\/1\.1 503 /)
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i)
    expect(second).toMatch(/\r\nconnection: close\r\n/i)
    expect(JSON.parse(second!.split('\r\n\r\n')[1]!)).toEqual({ error: { message: 'This server is shutting down; retry the request.', code: 503, title: 'Service Unavailable' } })
  })
})
