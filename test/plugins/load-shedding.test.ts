import { randomUUID } from 'node:crypto'
import { buildApp, type App } from '../../src/app.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectionPath } from '../families/astra/helpers.js'
import { eventually } from '../helpers/eventually.js'
import { superAdminSession } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await setupTestApp({ env: { MAX_URL_LENGTH: '300', BODY_LIMIT_BYTES: '2048' } })
})
afterAll(() => t.close())

describe('load shedding (@fastify/under-pressure)', () => {
  let overloaded: App
  beforeAll(async () => {
    // Any heap is over one byte: this app is "saturated" from its first sample on. Same database, no second one to open.
    overloaded = await buildApp({ config: { ...t.config, underPressure: { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1, sampleIntervalMs: 10, retryAfterSeconds: 7 } }, db: t.database.connect() })
    await eventually(async () => expect((await overloaded.inject({ url: '/v2.0' })).statusCode).toBe(503))
  })
  afterAll(() => overloaded.close())

  it('answers 503 with Retry-After in each family\'s dialect', async () => {
    const keystone = await overloaded.inject({ url: '/v2.0' })
    expect(keystone.statusCode).toBe(503)
    expect(keystone.headers['retry-after']).toBe('7')
    expect(keystone.json()).toEqual({ error: { message: 'The server is overloaded; retry shortly.', code: 503, title: 'Service Unavailable' } })

    const monitoring = await overloaded.inject({ url: '/v1.0/123456/agent_tokens' })
    expect(monitoring.statusCode).toBe(503)
    expect(monitoring.headers['retry-after']).toBe('7')
    expect(monitoring.json()).toEqual({ type: 'systemFailureError', code: 503, message: 'Service unavailable', details: 'The server is overloaded; retry shortly.', txnId: monitoring.headers['x-response-id'] })

    const astra = await overloaded.inject({ url: collectionPath(randomUUID(), randomUUID()) })
    expect(astra.statusCode).toBe(503)
    expect(astra.json()).toEqual({ type: 'about:blank', title: 'Service Unavailable', detail: 'The server is overloaded; retry shortly.', status: '503', correlationID: astra.headers['x-correlation-id'] })

    const conjur = await overloaded.inject({ url: '/resources/acme/host_factory/x' })
    expect(conjur.statusCode).toBe(503)
    expect(conjur.json()).toEqual({ error: { code: 'service_unavailable', message: 'The server is overloaded; retry shortly.' } })
    expect(conjur.headers['retry-after']).toBe('7')
  })

  it('lets the health probes answer: a saturated replica is alive, and ready if its database is', async () => {
    expect((await overloaded.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await overloaded.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready' })
  })
})

describe('load shedding at start', () => {
  /** Holds the event loop, as loading plugins and compiling schemas do at start, or a burst of work later. */
  const stall = (ms: number) => { const until = Date.now() + ms; while (Date.now() < until); }
  const LAG_LIMIT_MS = 50

  /**
   * A request answered while the sampled event-loop lag is over the limit. under-pressure samples
   * the mean lag once per interval, so one stall shows for one interval, diluted by the loop's
   * other ticks: on a loaded machine a given stall may read under the limit, or the sample may
   * pass before the request. Each attempt stalls, waits for a sample over the limit, and asks;
   * it counts only when the lag was still over the limit after the answer, so the answer saw it.
   */
  async function askWhileLagging (app: App): Promise<number> {
    return eventually(async () => {
      stall(1000)
      await eventually(() => expect(app.memoryUsage().eventLoopDelay).toBeGreaterThan(LAG_LIMIT_MS), 1000, 1)
      const reply = await app.inject({ url: '/v2.0' })
      expect(app.memoryUsage().eventLoopDelay).toBeGreaterThan(LAG_LIMIT_MS)
      if (reply.statusCode === 503) expect(reply.headers['retry-after']).toBe('3')
      return reply.statusCode
    })
  }

  it('does not count the start\'s own stall as load, and sheds a stall once serving', async () => {
    // The app's clock says when lag starts to count: the test moves it, rather than racing it.
    let now = Date.parse('2030-01-01T00:00:00Z')
    const app = await buildApp({ config: { ...t.config, underPressure: { maxEventLoopDelayMs: LAG_LIMIT_MS, maxHeapUsedBytes: 0, sampleIntervalMs: 100, retryAfterSeconds: 3 } }, clock: () => new Date(now), db: t.database.connect() })
    try {
      await app.ready()
      // Within two sample intervals of ready, a lagging loop is the start's own work: served.
      now += 199
      expect(await askWhileLagging(app)).toBe(200)
      // From then on, lag is load: shed.
      now += 1
      expect(await askWhileLagging(app)).toBe(503)
    } finally {
      await app.close()
    }
  })
})

describe('URL and body size limits', () => {
  it('answers 414 to a URL over MAX_URL_LENGTH, in the family\'s dialect', async () => {
    const keystone = await t.app.inject({ url: `/v2.0/tokens/${'a'.repeat(300)}` })
    expect(keystone.statusCode).toBe(414)
    expect(keystone.json()).toEqual({ error: { message: 'The URL must not exceed 300 characters.', code: 414, title: 'Request-URI Too Long' } })
    const admin = await t.app.inject({ url: `/admin/v1/accounts?after=${'a'.repeat(300)}` })
    expect(admin.statusCode).toBe(414)
    expect(admin.json()).toEqual({ statusCode: 414, code: 'TESSERA_URI_TOO_LONG', message: 'The URL must not exceed 300 characters.' })
    // Just under the limit is routed as usual.
    expect((await t.app.inject({ url: `/v2.0?${'a'.repeat(290)}` })).statusCode).toBe(200)
  })

  it('answers 413 to a body over BODY_LIMIT_BYTES, whatever the family\'s own limit', async () => {
    const { token } = await superAdminSession(t.app)
    const admin = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { 'x-auth-token': token }, payload: { name: 'x'.repeat(3000) } })
    expect(admin.statusCode).toBe(413)
    expect(admin.json()).toEqual({ statusCode: 413, code: 'TESSERA_TOO_LARGE', message: 'Request is too large.' })
    // Keystone's own limit is 114688 bytes; the smaller BODY_LIMIT_BYTES wins.
    const keystone = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: 'x'.repeat(3000), password: 'y' } } } })
    expect(keystone.statusCode).toBe(413)
    expect(keystone.json()).toEqual({ error: { message: 'Request is too large.', code: 413, title: 'Request Entity Too Large' } })
  })
})
