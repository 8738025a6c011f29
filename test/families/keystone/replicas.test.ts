import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../../src/app.js'
import { eventually } from '../../helpers/eventually.js'
import { superAdminSession, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

describe('two replicas on one database', () => {
  let t: TestApp
  let replica: App
  let adminToken: string

  beforeAll(async () => {
    t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } })
    // With PostgreSQL the replica has its own connection pool, as a second process would.
    replica = await t.replica()
    adminToken = (await superAdminSession(t.app)).token
  })
  afterAll(() => t?.close())

  it('refuses a revoked token at once on the replica that revoked it, and on the other as soon as the database tells it', async () => {
    const session = await tenantSession(t.app)
    const validate = (app: App, token: string) => app.inject({ url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': token } })
    expect((await validate(replica, adminToken)).statusCode).toBe(200)
    expect((await replica.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })).statusCode).toBe(200)

    const revoke = await t.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': adminToken } })
    expect(revoke.statusCode).toBe(204)
    expect((await validate(t.app, adminToken)).statusCode).toBe(404)

    // The other replica may have the session in memory until the notification arrives (milliseconds;
    // test/plugins/credential-cache.test.ts measures it). Its cache would keep it 60 s here.
    await eventually(async () => expect((await validate(replica, adminToken)).statusCode).toBe(404))
    const use = await replica.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    expect(use.statusCode).toBe(401)
    expect(use.json()).toEqual({ error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } })
  })

  it('renders a validated session once, yet shows a change made on the other replica (a renamed tenant)', async () => {
    const session = await tenantSession(t.app)
    const validate = () => replica.inject({ url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': adminToken } })
    const first = await validate()
    expect(first.statusCode).toBe(200)
    expect(first.json().access.token.tenant.name).toBe(session.account.name)
    expect((await validate()).body).toBe(first.body)

    const rename = await t.app.inject({ method: 'PATCH', url: `/admin/v1/accounts/${session.account.id}`, headers: { 'x-auth-token': adminToken }, payload: { name: 'renamed-tenant' } })
    expect(rename.statusCode).toBe(200)
    await eventually(async () => {
      const after = await validate()
      expect(after.statusCode).toBe(200)
      expect(after.json().access.token.tenant).toEqual({ id: session.account.id, name: 'renamed-tenant', description: null, enabled: true })
    })
  })

  it('accepts on one replica a token issued by the other', async () => {
    const session = await tenantSession(replica)
    const response = await t.app.inject({ url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': adminToken } })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ access: session.access })
  })
})
