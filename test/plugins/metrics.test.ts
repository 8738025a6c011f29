import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { listenForMetrics } from '../../src/plugins/operations/metrics.js'
import { insertUser, login, superAdminSession, tenantSession } from '../helpers/factories.js'
import { setupTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/test-app.js'

const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8'

interface Scrape {
  families: PrometheusFamily[]
  /** Each sample line's series (`name{labels}`), as Prometheus stores them: the parser folds a histogram's labels away. */
  series: string[]
}

function parsed (text: string): Scrape {
  const series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.slice(0, line.lastIndexOf(' ')))
  return { families: parsePrometheusTextFormat(text), series }
}

async function scrape (app: App, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await app.inject({ url: '/metrics', headers })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toBe(TEXT_FORMAT)
  return parsed(response.body)
}

function family (families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`no series ${name}`)
  return found
}

/** The value of the sample of `name` whose labels include `labels` (a histogram's: its count). */
function valueOf (families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(families, name).metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value))
  if (!sample) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`)
  return Number(sample.value ?? sample.count)
}

/** Every series of Tessera's own: what a flood must not grow. */
function tesseraSeries ({ series }: Scrape): string[] {
  return series.filter((name) => name.startsWith('tessera_')).sort()
}

describe('GET /metrics', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('counts requests, latency and credentials by family, route pattern and status, in Prometheus text', async () => {
    const admin = await superAdminSession(t.app)
    const tenant = await tenantSession(t.app, ['admin'])
    const validated = await t.app.inject({ url: `/v2.0/tokens/${tenant.token}`, headers: { 'x-auth-token': admin.token } })
    expect(validated.statusCode).toBe(200)
    const created = await t.app.inject({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': tenant.token }, payload: { label: 'metrics' } })
    expect(created.statusCode).toBe(201)
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1.0/${tenant.account.id}/agent_tokens/${String(created.headers['x-object-id'])}`, headers: { 'x-auth-token': tenant.token } })
    expect(deleted.statusCode).toBe(204)
    const revoked = await t.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${tenant.token}`, headers: { 'x-auth-token': admin.token } })
    expect(revoked.statusCode).toBe(204)
    const refused = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': tenant.token } })
    expect(refused.statusCode).toBe(401)
    const missing = await t.app.inject({ url: `/v1.0/${tenant.account.id}/agent_tokens` })
    expect(missing.statusCode).toBe(401)
    expect((await t.app.inject({ url: '/no/such/route/secret-value' })).statusCode).toBe(404)

    const { families, series } = await scrape(t.app)
    const login = { family: 'keystone', route: '/v2.0/tokens', method: 'POST', status: '200' }
    expect(valueOf(families, 'tessera_http_requests_total', login)).toBe(2)
    expect(family(families, 'tessera_http_request_duration_seconds').type).toBe('HISTOGRAM')
    expect(series).toContain('tessera_http_request_duration_seconds_count{family="keystone",route="/v2.0/tokens",method="POST",status="200"}')
    expect(series).toContain('tessera_http_request_duration_seconds_bucket{le="+Inf",family="keystone",route="/v2.0/tokens",method="POST",status="200"}')
    expect(valueOf(families, 'tessera_http_requests_total', { family: 'keystone', route: '/v2.0/tokens/:tokenId', method: 'GET', status: '200' })).toBe(1)
    expect(valueOf(families, 'tessera_http_requests_total', { family: 'none', route: 'unmatched', method: 'GET', status: '404' })).toBe(1)

    expect(valueOf(families, 'tessera_credentials_issued_total', { family: 'keystone', kind: 'session' })).toBe(2)
    expect(valueOf(families, 'tessera_credentials_issued_total', { family: 'agent-tokens', kind: 'agent-token' })).toBe(1)
    expect(valueOf(families, 'tessera_credentials_revoked_total', { family: 'agent-tokens', kind: 'agent-token' })).toBe(1)
    expect(valueOf(families, 'tessera_credentials_revoked_total', { family: 'keystone', kind: 'session' })).toBe(1)
    expect(valueOf(families, 'tessera_credentials_validated_total', { family: 'keystone', kind: 'session' })).toBeGreaterThanOrEqual(2)
    expect(valueOf(families, 'tessera_credentials_validated_total', { family: 'agent-tokens', kind: 'session' })).toBe(2)
    expect(valueOf(families, 'tessera_credentials_refused_total', { family: 'keystone', kind: 'session', reason: 'revoked' })).toBe(1)
    expect(valueOf(families, 'tessera_credentials_refused_total', { family: 'agent-tokens', kind: 'none', reason: 'missing-credential' })).toBe(1)

    expect(valueOf(families, 'tessera_cache_hits_total', { cache: 'credentials' })).toBeGreaterThanOrEqual(0)
    expect(valueOf(families, 'tessera_cache_misses_total', { cache: 'credentials' })).toBeGreaterThan(0)
    expect(valueOf(families, 'tessera_cache_misses_total', { cache: 'reads' })).toBeGreaterThanOrEqual(0)
    expect(valueOf(families, 'tessera_cache_entries', { cache: 'credentials' })).toBeGreaterThanOrEqual(0)
    expect(valueOf(families, 'tessera_audit_queue_depth')).toBeGreaterThanOrEqual(0)
    expect(valueOf(families, 'tessera_audit_dropped_total')).toBe(0)
    expect(valueOf(families, 'tessera_credential_usage_pending')).toBeGreaterThanOrEqual(0)
    expect(family(families, 'tessera_limit_refusals_total').type).toBe('COUNTER')
    // The pool and the LISTEN connection exist on PostgreSQL only; the embedded database has neither.
    const onPostgres = t.database.kind === 'postgres'
    for (const name of ['tessera_db_pool_in_use', 'tessera_db_pool_idle', 'tessera_db_pool_waiting', 'tessera_notify_listener_connected', 'tessera_notify_listener_round_trip_seconds']) {
      expect(families.some((candidate) => candidate.name === name), name).toBe(onPostgres)
    }
    if (onPostgres) {
      expect(valueOf(families, 'tessera_db_pool_waiting')).toBe(0)
      expect(valueOf(families, 'tessera_db_pool_in_use') + valueOf(families, 'tessera_db_pool_idle')).toBeGreaterThan(0)
    }

    expect(valueOf(families, 'process_cpu_user_seconds_total')).toBeGreaterThan(0)
    expect(family(families, 'nodejs_gc_duration_seconds').type).toBe('HISTOGRAM')
    expect(valueOf(families, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
  })

  it('keeps the number of series bounded: 10 000 distinct tokens add none', async () => {
    const { account } = await tenantSession(t.app, ['admin'])
    const send = (count: number) => Promise.all(Array.from({ length: count }, async (_, index) => {
      const token = randomBytes(16).toString('hex')
      // The token in the URL and in the header, a well-formed one and a malformed one in turn.
      const response = await t.app.inject({ url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': index % 2 === 0 ? token : `${token}!` } })
      expect(response.statusCode).toBe(401)
      const other = await t.app.inject({ url: `/v1.0/${account.id}/agent_tokens/${token}`, headers: { 'x-auth-token': token } })
      expect(other.statusCode).toBe(401)
    }))
    await send(10)
    const before = tesseraSeries(await scrape(t.app))
    for (let batch = 0; batch < 20; batch++) await send(500)
    const after = await scrape(t.app)
    expect(tesseraSeries(after)).toEqual(before)
    expect(after.series.every((name) => !/[0-9a-f]{32}/.test(name))).toBe(true)
    expect(valueOf(after.families, 'tessera_http_requests_total', { family: 'keystone', route: '/v2.0/tokens/:tokenId', status: '401' })).toBeGreaterThanOrEqual(10_010)
  }, 120_000)
})

describe('requests refused before routing', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('leave the scrape intact and their URL out of it (Fastify answers a malformed URL before any hook)', async () => {
    const malformed = await t.app.inject({ url: '/v2.0/tokens/%zz-secret' })
    expect(malformed.statusCode).toBe(400)
    const { series } = await scrape(t.app)
    expect(series.some((name) => name.includes('secret') || name.includes('%zz'))).toBe(false)
  })
})

describe('revocations by the admin API', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('counts a credential revoked by its accessor, and each one the kill switch ends', async () => {
    const tenant = await tenantSession(t.app, ['admin'])
    const headers = { 'x-auth-token': tenant.token }
    const keyHolder = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    const revoked = await t.app.inject({ method: 'DELETE', url: `/admin/v1/accounts/${tenant.account.id}/credentials/${keyHolder.apiKeyAccessor}`, headers })
    expect(revoked.statusCode).toBe(204)
    const target = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    await login(t.app, { username: target.user.name, password: target.password, tenantId: tenant.account.id })
    await login(t.app, { username: target.user.name, password: target.password, tenantId: tenant.account.id })
    const killed = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users/${target.user.id}/revoke-credentials`, headers })
    expect(killed.statusCode).toBe(200)
    expect(killed.json()).toMatchObject({ sessions: 2, apiKeyRevoked: true })

    const { families } = await scrape(t.app)
    expect(valueOf(families, 'tessera_credentials_revoked_total', { family: 'admin', kind: 'api-key' })).toBe(2)
    expect(valueOf(families, 'tessera_credentials_revoked_total', { family: 'admin', kind: 'session' })).toBe(2)
    expect(valueOf(families, 'tessera_credentials_issued_total', { family: 'keystone', kind: 'session' })).toBe(3)
  })
})

describe('METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789abcdef'
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp({ env: { METRICS_TOKEN: token } }) })
  afterAll(() => t.close())

  it('answers 401 without the bearer token, and 200 with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Basic ${token}`, token]) {
      const response = await t.app.inject({ url: '/metrics', headers: authorization === undefined ? {} : { authorization } })
      expect(response.statusCode, authorization).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"')
      expect(response.json()).toEqual({ statusCode: 401, code: 'TESSERA_UNAUTHENTICATED', message: 'The metrics need the bearer token METRICS_TOKEN.' })
    }
    const { families } = await scrape(t.app, { authorization: `Bearer ${token}` })
    expect(family(families, 'tessera_http_requests_total').type).toBe('COUNTER')
  })
})

describe('METRICS_PORT', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp({ env: { METRICS_PORT: '9464' } }) })
  afterAll(() => t.close())

  it('serves /metrics on a listener of its own, and not on the app\'s port', async () => {
    const onApp = await t.app.inject({ url: '/metrics' })
    expect(onApp.statusCode).toBe(404)
    const server = await listenForMetrics(t.app, '127.0.0.1', 0)
    try {
      const { port } = server.server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/metrics`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe(TEXT_FORMAT)
      const { families } = parsed(await response.text())
      expect(valueOf(families, 'tessera_http_requests_total', { family: 'none', route: 'unmatched', status: '404' })).toBe(1)
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404)
    } finally {
      await server.close()
    }
  })
})

describe('the request-rate limit', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp({ env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1m', AUTH_FAILURES_PER_CLIENT: '2' } }) })
  afterAll(() => t.close())

  it('counts the failed-credential lock-out\'s refusals', async () => {
    const statuses = []
    // Monitoring answers the lock-out with 429 (Keystone, with its usual 401).
    for (let sent = 0; sent < 2; sent++) statuses.push((await t.app.inject({ url: '/v1.0/some-tenant/agent_tokens', headers: { 'x-auth-token': 'not-a-token' }, remoteAddress: '203.0.113.7' })).statusCode)
    expect(statuses).toEqual([401, 429])
    const { families } = await scrape(t.app)
    expect(valueOf(families, 'tessera_limit_refusals_total', { limit: 'failed-credentials' })).toBe(1)
    expect(valueOf(families, 'tessera_credentials_refused_total', { family: 'agent-tokens', kind: 'none', reason: 'malformed' })).toBe(2)
  })

  it('neither counts nor refuses scrapes, and its refusals are counted', async () => {
    for (let scrapes = 0; scrapes < 5; scrapes++) await scrape(t.app)
    const statuses = []
    for (let sent = 0; sent < 3; sent++) statuses.push((await t.app.inject({ url: '/v2.0' })).statusCode)
    expect(statuses).toEqual([200, 200, 429])
    const { families } = await scrape(t.app)
    expect(valueOf(families, 'tessera_limit_refusals_total', { limit: 'request-rate' })).toBe(1)
    expect(valueOf(families, 'tessera_http_requests_total', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(5)
  })
})

describe('configuration', () => {
  const base = { TESSERA_SECRET_KEY: TEST_SECRET_KEY }
  it('takes METRICS_TOKEN and METRICS_PORT, and refuses unusable values without echoing the token', () => {
    expect(loadConfig({ ...base, METRICS_TOKEN: 'a'.repeat(16), METRICS_PORT: '9464' }).metrics).toEqual({ token: 'a'.repeat(16), port: 9464 })
    expect(loadConfig(base).metrics).toEqual({ token: undefined, port: undefined })
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces (e.g. `openssl rand -hex 32`)')
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'with a space inside it' })).toThrow(/^METRICS_TOKEN must be/)
    expect(() => loadConfig({ ...base, METRICS_PORT: '8080' })).toThrow('METRICS_PORT must differ from PORT (got 8080); leave it unset to serve /metrics on PORT')
    expect(() => loadConfig({ ...base, METRICS_PORT: '70000' })).toThrow(/^METRICS_PORT /)
  })
})
