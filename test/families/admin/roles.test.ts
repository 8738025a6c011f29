import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAccount, insertTenantUser, insertUser, login, type Login, superAdminSession, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, errorBody, loginWithPassword, UNAUTHENTICATED } from './admin-helpers.js'

describe('admin API: roles', () => {
  let t: TestApp
  let superAdmin: Login

  beforeAll(async () => {
    t = await setupTestApp()
    superAdmin = await superAdminSession(t.app)
  })
  afterAll(() => t?.close())

  const roleUrl = (accountId: string, userId: string, role: string) => `/accounts/${accountId}/users/${userId}/roles/${role}`

  describe('PUT /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}', () => {
    it('grants a role: the user can now scope a token to the account', async () => {
      const account = await insertAccount(t.app.db)
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: [] })
      const refused = await loginWithPassword(t.app, fixture.user.name, fixture.password, account.id)
      expect(refused.statusCode).toBe(401)

      const granted = await call(t.app, superAdmin.token, 'PUT', roleUrl(account.id, fixture.user.id, 'operator'))
      expect(granted.statusCode).toBe(204)
      expect(granted.body).toBe('')

      const scoped = await loginWithPassword(t.app, fixture.user.name, fixture.password, account.id)
      expect(scoped.statusCode).toBe(200)
      expect(scoped.json().access.token.tenant.id).toBe(account.id)
      expect(scoped.json().access.user.roles).toEqual([{ name: 'operator' }])
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}/users/${fixture.user.id}`)).json().roles).toEqual(['operator'])
    })

    it('is idempotent', async () => {
      const { account, user } = await insertTenantUser(t.app.db, ['member'])
      for (let i = 0; i < 2; i++) expect((await call(t.app, superAdmin.token, 'PUT', roleUrl(account.id, user.id, 'member'))).statusCode).toBe(204)
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}/users/${user.id}`)).json().roles).toEqual(['member'])
    })

    it('lets an account admin grant roles on their account', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const colleague = await insertUser(t.app.db, { accountId: admin.account.id, roles: ['member'] })
      expect((await call(t.app, admin.token, 'PUT', roleUrl(admin.account.id, colleague.user.id, 'admin'))).statusCode).toBe(204)
      const promoted = await login(t.app, { username: colleague.user.name, password: colleague.password, tenantId: admin.account.id })
      expect((await call(t.app, promoted.token, 'GET', `/accounts/${admin.account.id}/users`)).statusCode).toBe(200)
    })

    it('answers 404 for an unknown user', async () => {
      const account = await insertAccount(t.app.db)
      const userId = randomUUID()
      const response = await call(t.app, superAdmin.token, 'PUT', roleUrl(account.id, userId, 'admin'))
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${userId} does not exist`))
    })

    it('answers 400 for a role name outside the pattern', async () => {
      const { account, user } = await insertTenantUser(t.app.db)
      const response = await call(t.app, superAdmin.token, 'PUT', roleUrl(account.id, user.id, 'bad%20role'))
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, 'params/role must match pattern "^[A-Za-z0-9._:-]{1,64}$"'))
    })
  })

  describe('DELETE /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}', () => {
    it('revokes a role: the user can no longer scope a token to the account', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
      expect((await loginWithPassword(t.app, user.name, password, account.id)).statusCode).toBe(200)

      const revoked = await call(t.app, superAdmin.token, 'DELETE', roleUrl(account.id, user.id, 'member'))
      expect(revoked.statusCode).toBe(204)
      expect(revoked.body).toBe('')

      const scoped = await loginWithPassword(t.app, user.name, password, account.id)
      expect(scoped.statusCode).toBe(401)
      expect((await loginWithPassword(t.app, user.name, password)).statusCode).toBe(200)
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}/users/${user.id}`)).json().roles).toEqual([])
    })

    it('ends the sessions that carry the role, and only those', async () => {
      const admin = await tenantSession(t.app, ['admin', 'member'])
      const other = await insertAccount(t.app.db)
      const unscoped = await login(t.app, { username: admin.user.user.name, password: admin.user.password })
      expect((await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}`)).statusCode).toBe(200)

      expect((await call(t.app, superAdmin.token, 'DELETE', roleUrl(admin.account.id, admin.user.user.id, 'admin'))).statusCode).toBe(204)

      const refused = await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}`)
      expect(refused.statusCode).toBe(401)
      expect(refused.json()).toEqual(UNAUTHENTICATED)
      // The unscoped session did not carry the role and still works (it is just not an admin).
      expect((await call(t.app, unscoped.token, 'GET', `/accounts/${other.id}`)).statusCode).toBe(403)
      const rescoped = await login(t.app, { username: admin.user.user.name, password: admin.user.password, tenantId: admin.account.id })
      expect(rescoped.access.user.roles).toEqual([{ name: 'member' }])
    })

    it('answers 404 when the user does not hold the role', async () => {
      const { account, user } = await insertTenantUser(t.app.db, ['member'])
      const response = await call(t.app, superAdmin.token, 'DELETE', roleUrl(account.id, user.id, 'auditor'))
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${user.id} does not hold role auditor on account ${account.id}`))
    })

    it('answers 404 to an account admin for a user of another account with no role on theirs, and revokes nothing', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const stranger = await insertTenantUser(t.app.db, ['member'])
      const response = await call(t.app, admin.token, 'DELETE', roleUrl(admin.account.id, stranger.user.id, 'member'))
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${stranger.user.id} does not exist`))
      expect((await loginWithPassword(t.app, stranger.user.name, stranger.password, stranger.account.id)).statusCode).toBe(200)
    })
  })
})
