import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { accessHeader, createHost, createHostFactory, expectEmpty, expectMiddleware, hfId, newMember, newTenant, newTokens, userHeader, type Tenant } from './helpers.js'

/** The `iat` of the access token a `Token token="<base64>"` header carries. */
function issuedAt (header: string): number {
  const token = JSON.parse(Buffer.from(/token="([^"]+)"/.exec(header)![1]!, 'base64').toString('utf8'))
  return JSON.parse(Buffer.from(token.payload, 'base64url').toString('utf8')).iat
}

/** GET /whoami as conjur-api-ruby's `whoami` and conjur-api-python's `whoami()` send it: the access token, nothing else. */
describe('GET /whoami (Conjur whoami#show)', () => {
  let t: TestApp
  let tenant: Tenant

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
  })
  afterAll(() => t?.close())

  it('a user: client address, user agent, account name, login and the token\'s iat, in Conjur\'s keys and order', async () => {
    const header = await userHeader(t.app, tenant, tenant.admin)
    const response = await t.app.inject({ url: '/whoami', headers: { authorization: header, 'user-agent': 'conjur-api-python' }, remoteAddress: '4.4.4.4' })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    const body = response.json()
    expect(Object.keys(body)).toEqual(['client_ip', 'user_agent', 'account', 'username', 'token_issued_at'])
    expect(body).toEqual({
      client_ip: '4.4.4.4',
      user_agent: 'conjur-api-python',
      account: tenant.account.name,
      username: tenant.admin.user.name,
      token_issued_at: new Date(issuedAt(header) * 1000).toISOString().replace(/Z$/, '+00:00')
    })
  })

  it('a host is host/<id>; the client address is found as for CIDR checks (a trusted proxy\'s X-Forwarded-For)', async () => {
    const admin = await userHeader(t.app, tenant, tenant.admin)
    const factory = await createHostFactory(t.app, tenant)
    const [token] = await newTokens(t.app, admin, { host_factory: hfId(tenant, factory) })
    const enrolled = await createHost(t.app, token!.token, 'id=whoami-host')
    const header = await accessHeader(t.app, tenant.account.name, 'host/whoami-host', enrolled.json().api_key)
    const response = await t.app.inject({ url: '/whoami', headers: { authorization: header, 'x-forwarded-for': '10.1.2.3' } })
    expect(response.json()).toMatchObject({ client_ip: '10.1.2.3', account: tenant.account.name, username: 'host/whoami-host' })
  })

  it('refusals: no token, a malformed or forged one (text/plain 401), a disabled user (empty 403)', async () => {
    expectMiddleware(await t.app.inject({ url: '/whoami' }), 401, 'Authorization missing')
    expectMiddleware(await t.app.inject({ url: '/whoami', headers: { authorization: 'Token token="bm90IGEgdG9rZW4="' } }), 401, 'Malformed authorization token')
    const forged = Buffer.from(JSON.stringify({ protected: 'e30=', payload: 'e30=', signature: 'AAAA' })).toString('base64')
    expectMiddleware(await t.app.inject({ url: '/whoami', headers: { authorization: `Token token="${forged}"` } }), 401, 'Unauthorized: Invalid token')
    const member = await newMember(t.app, tenant)
    const header = await userHeader(t.app, tenant, member)
    await t.app.db.updateTable('users').set({ enabled: false }).where('id', '=', member.user.id).execute()
    expectEmpty(await t.app.inject({ url: '/whoami', headers: { authorization: header } }), 403)
  })
})
