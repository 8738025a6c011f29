import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually.js'
import { insertTenantUser } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const REDIS_URL = 'redis://127.0.0.1:6379'

/** Whether a Redis answers at REDIS_URL within half a second: these tests skip without one. */
async function redisAnswers (): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    return await probe.ping() === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

const available = await redisAnswers()
// Distinct per run (counted by /64): parallel runs and leftovers of earlier ones share this Redis.
const run = (Date.now() % 0xffff).toString(16)
let address = 0
const newClient = () => `2001:db8:${run}:${(++address).toString(16)}::1`

/**
 * Resolves once Redis has expired every failure count of `client`'s /64: the window's end, by Redis's
 * clock, which the limits follow. A replica's remembered block ends no later (it counts from before
 * the count it learnt it from).
 */
async function windowEnded (client: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    const network = `${client.slice(0, client.lastIndexOf('::'))}::/64`
    await eventually(async () => expect(await redis.keys(`tessera:auth-failures:*${network}`)).toEqual([]), 10_000, 20)
  } finally {
    redis.disconnect()
  }
}

describe.skipIf(!available)('limits counted in Redis (REDIS_URL)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await setupTestApp({ env: { REDIS_URL, AUTH_FAILURES_PER_USER: '2', AUTH_FAILURES_PER_CLIENT: '50', AUTH_FAILURE_WINDOW: '1s', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '1m' } })
  })
  afterAll(() => t?.close())

  const login = (app: TestApp['app'], client: string, username: string, password: string) =>
    app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { passwordCredentials: { username, password } } } })

  it('shares failed logins between replicas, and lets the user in again once the window ends', async () => {
    const replica = await t.replica()
    const { user, password } = await insertTenantUser(t.app.db)
    const client = newClient()
    expect((await login(t.app, client, user.name, 'wrong')).headers['retry-after']).toBeUndefined()
    const reached = await login(t.app, client, user.name, 'wrong')
    expect(reached.statusCode).toBe(401)
    expect(reached.headers['retry-after']).toBe('1')
    const elsewhere = await login(replica, client, user.name, password)
    expect(elsewhere.statusCode).toBe(401)
    expect(elsewhere.headers['retry-after']).toBe('1')
    // Nothing went to the database.
    expect(await t.app.db.selectFrom('auth_failures').select('key').execute()).toEqual([])

    await windowEnded(client)
    expect((await login(replica, client, user.name, password)).statusCode).toBe(200)
  })

  it('shares the request rate between replicas', async () => {
    const replica = await t.replica()
    const client = newClient()
    const version = (app: TestApp['app']) => app.inject({ url: '/v2.0', remoteAddress: client })
    const first = await version(t.app)
    expect(first.statusCode).toBe(200)
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4' })
    for (const [app, remaining] of [[replica, '3'], [t.app, '2'], [replica, '1'], [t.app, '0']] as const) {
      expect((await version(app)).headers['x-ratelimit-remaining']).toBe(remaining)
    }
    const refused = await version(replica)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toEqual({ error: { message: 'Too many requests; retry later.', code: 429, title: 'Too Many Requests' } })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('limits whose Redis does not answer', () => {
  let t: TestApp
  beforeAll(async () => {
    // Nothing listens on port 1: every command fails at once (no offline queue).
    t = await setupTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', AUTH_FAILURES_PER_USER: '1', AUTH_FAILURES_PER_CLIENT: '1', RATE_LIMIT_MAX: '1' } })
  })
  afterAll(() => t?.close())

  it('let requests through rather than refuse everyone', async () => {
    const { user, password } = await insertTenantUser(t.app.db)
    const login = (secret: string) => t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password: secret } } } })
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await login('wrong')
      expect(refused.statusCode).toBe(401)
      expect(refused.headers['retry-after']).toBeUndefined()
    }
    expect((await login(password)).statusCode).toBe(200)
  })
})
