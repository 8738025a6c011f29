import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectionPath } from '../families/astra/helpers.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const MAX = 2
let t: TestApp
let address = 0
/** A client address of its own for each test: counts never cross tests. */
const newClient = () => `203.0.113.${++address}`

beforeAll(async () => {
  t = await setupTestApp({ env: { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW: '1m' } })
})
afterAll(() => t.close())

/** Sends `url` MAX + 1 times from a fresh client; the last answer, refused. */
async function overTheLimit (url: string, headers: Record<string, string> = {}) {
  const client = newClient()
  for (let sent = 1; sent <= MAX; sent++) {
    const allowed = await t.app.inject({ url, remoteAddress: client, headers })
    expect(allowed.statusCode).not.toBe(429)
    expect(allowed.headers['x-ratelimit-remaining']).toBe(String(MAX - sent))
  }
  const refused = await t.app.inject({ url, remoteAddress: client, headers })
  expect(refused.statusCode).toBe(429)
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
  return refused
}

describe('the request rate per client (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW)', () => {
  it('tells every reply where the client stands, and counts each client apart', async () => {
    const client = newClient()
    const first = await t.app.inject({ url: '/v2.0', remoteAddress: client })
    expect(first.statusCode).toBe(200)
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': String(MAX), 'x-ratelimit-remaining': String(MAX - 1) })
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
    expect((await t.app.inject({ url: '/v2.0', remoteAddress: newClient() })).headers['x-ratelimit-remaining']).toBe(String(MAX - 1))
  })

  it('neither counts nor refuses the health probes: a load balancer probes often, from one address', async () => {
    const balancer = newClient()
    for (let probe = 0; probe < MAX + 2; probe++) {
      for (const [url, status] of [['/healthz', { status: 'ok' }], ['/readyz', { status: 'ready' }]] as const) {
        const reply = await t.app.inject({ url, remoteAddress: balancer })
        expect(reply.statusCode, `${url} #${probe + 1}`).toBe(200)
        expect(reply.json()).toEqual(status)
        expect(reply.headers['x-ratelimit-remaining']).toBeUndefined()
      }
    }
    // Its other requests are counted from the first.
    const other = await t.app.inject({ url: '/v2.0', remoteAddress: balancer })
    expect(other.headers['x-ratelimit-remaining']).toBe(String(MAX - 1))
  })

  it('answers Keystone\'s 429 error body', async () => {
    const refused = await overTheLimit('/v2.0')
    expect(refused.json()).toEqual({ error: { message: 'Too many requests; retry later.', code: 429, title: 'Too Many Requests' } })
    expect(refused.headers['x-openstack-request-id']).toMatch(/^req-/)
  })

  it('answers Rackspace Monitoring\'s rateLimitReached with the real X-RateLimit-* figures', async () => {
    const client = newClient()
    const url = '/v1.0/123456/agent_tokens'
    const first = await t.app.inject({ url, remoteAddress: client })
    expect(first.statusCode).toBe(401)
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': String(MAX), 'x-ratelimit-remaining': String(MAX - 1), 'x-ratelimit-window': '1 minute', 'x-ratelimit-type': 'global' })
    await t.app.inject({ url, remoteAddress: client })
    const refused = await t.app.inject({ url, remoteAddress: client })
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toEqual({ type: 'rateLimitReached', code: 429, message: 'Rate limit reached', details: 'Too many requests; retry later.', txnId: refused.headers['x-response-id'] })
    expect(refused.headers).toMatchObject({ 'x-ratelimit-limit': String(MAX), 'x-ratelimit-remaining': '0', 'x-ratelimit-window': '1 minute', 'x-ratelimit-type': 'global' })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('answers NetApp Astra\'s 429 problem detail', async () => {
    const refused = await overTheLimit(collectionPath(randomUUID(), randomUUID()))
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(refused.json()).toEqual({ type: 'about:blank', title: 'Too Many Requests', detail: 'Too many requests; retry later.', status: '429', correlationID: refused.headers['x-correlation-id'] })
  })

  it('answers Conjur\'s bare 429, and Tessera\'s own routes their error body', async () => {
    expect((await overTheLimit('/resources/acme/host_factory/x')).body).toBe('')
    const admin = await overTheLimit('/admin/v1/accounts')
    expect(admin.json()).toEqual({ statusCode: 429, code: 'TESSERA_TOO_MANY_REQUESTS', message: 'Too many requests; retry later.' })
  })
})
