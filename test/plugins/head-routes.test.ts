import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { superAdminSession } from '../helpers/factories.js'
import { registeredRoutes } from '../helpers/registered-routes.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { createHostFactory, hfId, newTenant, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'

/**
 * HEAD is GET without the body (RFC 9110 §9.3.2) on every GET route of every API, as the
 * originals answer it (Rails, Keystone's WSGI, Astra's gateway): clients probe existence with it,
 * e.g. conjur-api-ruby's `exists?` and conjur-api-python's `resource_exists()`.
 */

/** Headers that differ between any two requests: their date, ids and counters. */
const PER_REQUEST = new Set(['date', 'x-request-id', 'x-openstack-request-id', 'x-correlation-id', 'x-response-id',
  // Framing, not content: a streamed GET (the export) is chunked, its HEAD has no body to frame.
  'transfer-encoding'])

/** An error's Content-Length may differ: the default dialect's not-found names the request's method. */
function comparableHeaders (response: LightMyRequestResponse): Record<string, unknown> {
  const varying = response.statusCode >= 400 ? new Set([...PER_REQUEST, 'content-length']) : PER_REQUEST
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => !varying.has(name)))
}

describe('HEAD on every GET route', () => {
  let t: TestApp
  let tenant: Tenant
  let adminToken: string
  let conjurHeader: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    adminToken = (await superAdminSession(t.app)).token
    conjurHeader = await userHeader(t.app, tenant, tenant.admin)
  })
  afterAll(() => t?.close())

  async function expectHeadLikeGet (url: string, headers: Record<string, string>): Promise<LightMyRequestResponse> {
    const get = await t.app.inject({ method: 'GET', url, headers })
    const head = await t.app.inject({ method: 'HEAD', url, headers })
    const label = `HEAD ${url} ${Object.keys(headers).join(',')}`
    expect(head.statusCode, label).toBe(get.statusCode)
    expect(head.body, label).toBe('')
    expect(comparableHeaders(head), label).toEqual(comparableHeaders(get))
    return head
  }

  /** GETs with no HEAD twin, and why. */
  const NO_HEAD = new Set([
    // A HEAD would read the whole snapshot to throw it away.
    '/admin/v1/export'
  ])

  it('the router has a HEAD beside every GET', () => {
    const routes = registeredRoutes(t.app)
    const gets = routes.filter((route) => route.method === 'GET' && !NO_HEAD.has(route.url)).map((route) => route.url)
    expect(gets.length).toBeGreaterThan(25)
    expect(routes.filter((route) => route.method === 'HEAD' && NO_HEAD.has(route.url))).toEqual([])
    // hasRoute cannot read back swagger-ui's wildcard (printed /docs*); the sweep below requests it.
    const readable = gets.filter((url) => t.app.hasRoute({ method: 'GET', url }))
    expect(readable.length).toBe(gets.length - 1)
    expect(readable.filter((url) => !t.app.hasRoute({ method: 'HEAD', url }))).toEqual([])
  })

  it('each answers as its GET, without the body, anonymous or with each API\'s credential', async () => {
    // Path parameters name the tenant's records where they can, so that some GETs find something.
    const values: Record<string, string> = {
      account: tenant.account.name, accountId: tenant.account.id, tenantId: tenant.account.id, account_id: tenant.account.id, userId: tenant.admin.user.id, user_id: tenant.admin.user.id
    }
    const credentials: Array<Record<string, string>> = [{}, { 'x-auth-token': adminToken }, { authorization: `Bearer ${adminToken}` }, { authorization: conjurHeader }]
    // /metrics counts the requests themselves: its body (and length) changes from one to the next.
    const urls = registeredRoutes(t.app).filter((route) => route.method === 'GET' && route.url !== '/metrics' && !NO_HEAD.has(route.url))
      .map((route) => route.url.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(values[name] ?? 'x')).replace(/\*$/, 'x'))
    const statuses = new Set<number>()
    for (const url of urls) {
      for (const headers of credentials) statuses.add((await expectHeadLikeGet(url, headers)).statusCode)
    }
    // The sweep reached found, missing and refused alike.
    expect([...statuses]).toEqual(expect.arrayContaining([200, 401, 404]))
  })

  it('HEAD /resources/{account}/host_factory/{id}: 200 when it exists and is visible, 404 when not, never a body (the SDKs\' exists?)', async () => {
    const factory = await createHostFactory(t.app, tenant)
    await newTokens(t.app, conjurHeader, { host_factory: hfId(tenant, factory) })
    const found = await expectHeadLikeGet(`/resources/${tenant.account.name}/host_factory/${factory}`, { authorization: conjurHeader })
    expect(found.statusCode).toBe(200)
    expect(Number(found.headers['content-length'])).toBeGreaterThan(100)
    expect(found.headers['cache-control']).toBe('no-store')
    expect((await expectHeadLikeGet(`/resources/${tenant.account.name}/host_factory/nope`, { authorization: conjurHeader })).statusCode).toBe(404)
    expect((await expectHeadLikeGet(`/resources/${tenant.account.name}/host_factory/${factory}`, {})).statusCode).toBe(401)
    // A permission check by HEAD is the same check; a 204 has no Content-Length (RFC 9110 §8.6).
    const permitted = await expectHeadLikeGet(`/resources/${tenant.account.name}/host_factory/${factory}?check=true&privilege=update`, { authorization: conjurHeader })
    expect(permitted.statusCode).toBe(204)
    expect(permitted.headers['content-length']).toBeUndefined()
  })

  it('an unknown path answers HEAD with its GET\'s status and no body', async () => {
    expect((await expectHeadLikeGet('/no/such/route', {})).statusCode).toBe(404)
    expect((await expectHeadLikeGet('/resources', { authorization: conjurHeader })).statusCode).toBe(404)
  })
})
