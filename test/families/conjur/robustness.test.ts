import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { createHostFactory, hfId, newTenant, newTokens, userHeader, type Tenant } from './helpers.js'

/** Odd input on every Conjur route: always an answer in the dialect, never a 5xx. */
describe('bad input never breaks the Conjur routes', () => {
  let t: TestApp
  let tenant: Tenant
  let header: string
  let hfToken: string
  let factory: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    factory = await createHostFactory(t.app, tenant)
    header = await userHeader(t.app, tenant, tenant.admin)
    hfToken = (await newTokens(t.app, header, { host_factory: hfId(tenant, factory) }))[0]!.token
  })
  afterAll(() => t?.close())

  const bodies: Array<[string, string, string | undefined]> = [
    ['a JSON array', '[1,2]', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a JSON string', '"x"', 'application/json'],
    ['deeply nested form', 'a[b][c][d][e][f]=1&cidr[][x]=1', 'application/x-www-form-urlencoded'],
    ['prototype keys', '{"__proto__":{"admin":true},"constructor":{"prototype":{}}}', 'application/json'],
    ['form prototype keys', '__proto__[admin]=1&constructor[prototype][x]=1', undefined],
    ['non-UTF-8 bytes', '\u00ff\u00fe=\u00fd', 'application/x-www-form-urlencoded; charset=latin1'],
    ['odd types', '{"host_factory":["x"],"expiration":{"a":1},"count":{"n":1},"cidr":{"0":"10.0.0.0/8"},"id":[],"annotations":[1]}', 'application/json'],
    ['huge numbers', '{"host_factory":"HF","expiration":"9999-12-31","count":1e308,"cidr":"1.2.3.4"}', 'application/json'],
    ['percent junk', 'host_factory=%E0%A4%A&expiration=%', undefined]
  ]

  it.each(bodies)('POST /host_factory_tokens with %s', async (_case, body, type) => {
    const response = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header, ...(type ? { 'content-type': type } : {}) }, payload: body.replace('HF', hfId(tenant, factory)) })
    expect(response.statusCode, response.body).toBeLessThan(500)
    expect([200, 400, 404, 422]).toContain(response.statusCode)
  })

  it.each(bodies)('POST /host_factories/hosts with %s', async (_case, body, type) => {
    const response = await t.app.inject({ method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${hfToken}"`, ...(type ? { 'content-type': type } : {}) }, payload: body })
    expect([201, 400, 422]).toContain(response.statusCode)
  })

  it.each([
    ['/authn/%E0%A4%A/login', 'GET'],
    ['/authn/x/%00/authenticate', 'POST'],
    [`/authn/${'a'.repeat(600)}/b/authenticate`, 'POST'],
    ['/host_factory_tokens/%E0%A4%A', 'DELETE'],
    [`/host_factory_tokens/${'z'.repeat(400)}`, 'DELETE'],
    ['/resources/x/host_factory/%E0%A4%A', 'GET'],
    [`/resources/${'a'.repeat(100)}/host_factory/x`, 'GET']
  ] as const)('%s (%s)', async (url, method) => {
    const response = await t.app.inject({ method, url, headers: { authorization: header }, payload: method === 'POST' ? 'key' : undefined })
    expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400)
    expect(response.statusCode, response.body).toBeLessThan(500)
  })

  it.each(['Token token=""', 'Token token="\u00e9t\u00e9"', `Token token="${'eyJ'.padEnd(9000, 'A')}"`, 'Token token="eyJ!!!"', 'token TOKEN="x"'])('Authorization %j', async (authorization) => {
    const response = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization }, payload: {} })
    expect(response.statusCode).toBe(401)
  })
})
