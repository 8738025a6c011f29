import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignRole } from '../../../src/services/identity.js'
import { insertAccount, insertTenantUser, insertUser, login, type Login, superAdminSession, tenantSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, errorBody, FORBIDDEN, UNAUTHENTICATED } from './admin-helpers.js'

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

/** Every admin route on one account and one of its users, with a valid body where one is needed. */
function routesOn (accountId: string, userId: string): Array<[Method, string, unknown?]> {
  return [
    ['GET', `/accounts/${accountId}`],
    ['PATCH', `/accounts/${accountId}`, { name: unique('renamed') }],
    ['DELETE', `/accounts/${accountId}`],
    ['POST', `/accounts/${accountId}/users`, { name: unique('user') }],
    ['GET', `/accounts/${accountId}/users`],
    ['GET', `/accounts/${accountId}/users/${userId}`],
    ['PATCH', `/accounts/${accountId}/users/${userId}`, { enabled: false }],
    ['DELETE', `/accounts/${accountId}/users/${userId}`],
    ['POST', `/accounts/${accountId}/users/${userId}/api-key`],
    ['PUT', `/accounts/${accountId}/users/${userId}/roles/admin`],
    ['DELETE', `/accounts/${accountId}/users/${userId}/roles/member`]
  ]
}

describe('admin API access', () => {
  let t: TestApp
  let superAdmin: Login

  beforeAll(async () => {
    t = await setupTestApp()
    superAdmin = await superAdminSession(t.app)
  })
  afterAll(() => t?.close())

  describe('authentication', () => {
    it('answers 401 on every route without a credential, with a WWW-Authenticate challenge', async () => {
      const { account, user } = await insertTenantUser(t.app.db, ['member'])
      for (const [method, url, payload] of [...routesOn(account.id, user.id), ['GET', '/accounts'], ['POST', '/accounts', { name: unique('acct') }]] as const) {
        const response = await call(t.app, undefined, method, url, payload)
        expect({ method, url, status: response.statusCode, body: response.json() }).toEqual({ method, url, status: 401, body: UNAUTHENTICATED })
        expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"')
      }
    })

    it('answers 401 to an unknown token, as X-Auth-Token and as a bearer token', async () => {
      const asHeader = await call(t.app, 'f'.repeat(64), 'GET', '/accounts')
      expect(asHeader.statusCode).toBe(401)
      expect(asHeader.json()).toEqual(UNAUTHENTICATED)

      const asBearer = await t.app.inject({ method: 'GET', url: '/admin/v1/accounts', headers: { authorization: `Bearer ${'f'.repeat(64)}` } })
      expect(asBearer.statusCode).toBe(401)
      expect(asBearer.json()).toEqual(UNAUTHENTICATED)
    })

    it('accepts a session token as a bearer token', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const response = await t.app.inject({ method: 'GET', url: `/admin/v1/accounts/${admin.account.id}`, headers: { authorization: `Bearer ${admin.token}` } })
      expect(response.statusCode).toBe(200)
      expect(response.json().id).toBe(admin.account.id)
    })

    it('checks the credential before reading the body', async () => {
      const oversized = await call(t.app, undefined, 'POST', '/accounts', { name: 'x'.repeat(70 * 1024) })
      expect(oversized.statusCode).toBe(401)
      expect(oversized.json()).toEqual(UNAUTHENTICATED)

      const malformed = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { 'content-type': 'application/json' }, payload: '{' })
      expect(malformed.statusCode).toBe(401)
      expect(malformed.json()).toEqual(UNAUTHENTICATED)
    })
  })

  describe('authorisation', () => {
    it('refuses a session without the admin role with 403 on every route', async () => {
      const member = await tenantSession(t.app, ['member'])
      for (const [method, url, payload] of [...routesOn(member.account.id, member.user.user.id), ['GET', '/accounts'], ['POST', '/accounts', { name: unique('acct') }]] as const) {
        const response = await call(t.app, member.token, method, url, payload)
        expect({ method, url, status: response.statusCode, body: response.json() }).toEqual({ method, url, status: 403, body: FORBIDDEN })
      }
    })

    it('refuses an unscoped session of an account admin with 403', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
      const unscoped = await login(t.app, { username: user.name, password })
      const response = await call(t.app, unscoped.token, 'GET', `/accounts/${account.id}`)
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(FORBIDDEN)
    })

    it('refuses an admin of another account with 403 on every route, before looking anything up', async () => {
      const stranger = await tenantSession(t.app, ['admin'])
      const { account, user } = await insertTenantUser(t.app.db, ['member'])
      for (const [method, url, payload] of [...routesOn(account.id, user.id), ...routesOn('no-such-account', 'no-such-user')]) {
        const response = await call(t.app, stranger.token, method, url, payload)
        expect({ method, url, status: response.statusCode, body: response.json() }).toEqual({ method, url, status: 403, body: FORBIDDEN })
      }
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}/users/${user.id}`)).json().enabled).toBe(true)
    })

    it('lets an account admin manage their own account and its users, but not create accounts', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const accountId = admin.account.id

      const created = await call(t.app, admin.token, 'POST', `/accounts/${accountId}/users`, { name: unique('colleague'), roles: ['member'] })
      expect(created.statusCode).toBe(201)
      const colleagueId = created.json().id
      expect((await call(t.app, admin.token, 'GET', `/accounts/${accountId}`)).statusCode).toBe(200)
      expect((await call(t.app, admin.token, 'PATCH', `/accounts/${accountId}`, { name: unique('renamed') })).statusCode).toBe(200)
      expect((await call(t.app, admin.token, 'GET', `/accounts/${accountId}/users`)).json().items.map((item: { id: string }) => item.id))
        .toEqual(expect.arrayContaining([admin.user.user.id, colleagueId]))
      expect((await call(t.app, admin.token, 'PUT', `/accounts/${accountId}/users/${colleagueId}/roles/observer`)).statusCode).toBe(204)
      expect((await call(t.app, admin.token, 'POST', `/accounts/${accountId}/users/${colleagueId}/api-key`)).statusCode).toBe(200)
      expect((await call(t.app, admin.token, 'DELETE', `/accounts/${accountId}/users/${colleagueId}`)).statusCode).toBe(204)

      const refused = await call(t.app, admin.token, 'POST', '/accounts', { name: unique('acct') })
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(FORBIDDEN)
    })

    it('shows an account admin only their own account when listing accounts', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      await insertAccount(t.app.db)

      const listed = await call(t.app, admin.token, 'GET', '/accounts')
      expect(listed.statusCode).toBe(200)
      expect(listed.json()).toEqual({
        items: [{ id: admin.account.id, name: admin.account.name, enabled: true, createdAt: admin.account.created_at.toISOString() }],
        nextCursor: null
      })
      expect((await call(t.app, admin.token, 'GET', `/accounts?after=${admin.account.id}`)).json()).toEqual({ items: [], nextCursor: null })
    })

    it('lets the super-admin list, read and change every account', async () => {
      const some = await insertAccount(t.app.db)
      const other = await insertAccount(t.app.db)

      const listed = await call(t.app, superAdmin.token, 'GET', '/accounts?limit=1000')
      expect(listed.json().items.map((item: { id: string }) => item.id)).toEqual(expect.arrayContaining([t.config.admin.account, some.id, other.id]))
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${some.id}`)).statusCode).toBe(200)
      expect((await call(t.app, superAdmin.token, 'PATCH', `/accounts/${other.id}`, { enabled: false })).json().enabled).toBe(false)
    })

    it('leaves a user who also holds roles on other accounts to the super-admin', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const elsewhere = await insertAccount(t.app.db)
      const colleague = await insertUser(t.app.db, { accountId: admin.account.id, roles: ['member'] })
      await assignRole(t.app.db, colleague.user.id, elsewhere.id, 'admin')
      const base = `/accounts/${admin.account.id}/users/${colleague.user.id}`

      for (const [method, url, payload] of [
        ['PATCH', base, { password: 'taken-over-password' }],
        ['POST', `${base}/api-key`],
        ['PUT', `${base}/roles/admin`],
        ['DELETE', base]
      ] as const) {
        const response = await call(t.app, admin.token, method, url, payload)
        expect({ method, url, status: response.statusCode, body: response.json() }).toEqual({ method, url, status: 403, body: FORBIDDEN })
      }
      expect((await call(t.app, admin.token, 'GET', base)).json().roles).toEqual(['member'])
      expect((await call(t.app, superAdmin.token, 'POST', `${base}/api-key`)).statusCode).toBe(200)
    })
  })

  describe('disabling ends sessions at once', () => {
    it('a disabled user\'s token gets 401 on the next call', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      expect((await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}`)).statusCode).toBe(200)

      const disabled = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${admin.account.id}/users/${admin.user.user.id}`, { enabled: false })
      expect(disabled.statusCode).toBe(200)
      expect(disabled.json().enabled).toBe(false)

      const refused = await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}`)
      expect(refused.statusCode).toBe(401)
      expect(refused.json()).toEqual(UNAUTHENTICATED)
    })

    it('the tokens of a disabled account\'s users get 401 on the next call', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      expect((await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}/users`)).statusCode).toBe(200)

      const disabled = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${admin.account.id}`, { enabled: false })
      expect(disabled.statusCode).toBe(200)
      expect(disabled.json().enabled).toBe(false)

      const refused = await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}/users`)
      expect(refused.statusCode).toBe(401)
      expect(refused.json()).toEqual(UNAUTHENTICATED)
    })

    it('an account admin who disables their own account is locked out with it', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      expect((await call(t.app, admin.token, 'PATCH', `/accounts/${admin.account.id}`, { enabled: false })).statusCode).toBe(200)
      expect((await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}`)).statusCode).toBe(401)
    })
  })

  describe('request limits', () => {
    it('refuses a body over 64 KiB with 413', async () => {
      const response = await call(t.app, superAdmin.token, 'POST', '/accounts', { name: 'x'.repeat(65 * 1024) })
      expect(response.statusCode).toBe(413)
      expect(response.json()).toEqual(errorBody(413, 'Request is too large.'))
    })

    it('reads a body just under 64 KiB (and judges it by its schema)', async () => {
      const response = await call(t.app, superAdmin.token, 'POST', '/accounts', { name: 'x'.repeat(63 * 1024) })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, 'body/name must NOT have more than 64 characters'))
    })

    it('answers unknown admin routes with 404 in the same dialect', async () => {
      const response = await call(t.app, superAdmin.token, 'GET', '/nothing-here')
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'No route for GET /admin/v1/nothing-here.'))
    })
  })
})
