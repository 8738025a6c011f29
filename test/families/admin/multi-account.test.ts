import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignRole } from '../../../src/services/identity.js'
import { insertAccount, insertTenantUser, insertUser, login, type Login, superAdminSession, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, errorBody, FORBIDDEN, loginWithPassword } from './admin-helpers.js'

/** Keystone's basic model: a user of one account holds roles on several, and re-scopes between them. */
describe('admin API: users with roles on several accounts', () => {
  let t: TestApp
  let superAdmin: Login

  beforeAll(async () => {
    t = await setupTestApp()
    superAdmin = await superAdminSession(t.app)
  })
  afterAll(() => t?.close())

  const roleUrl = (accountId: string, userId: string, role: string) => `/accounts/${accountId}/users/${userId}/roles/${role}`
  const tenantsOf = async (token: string) => (await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': token } })).json().tenants.map((tenant: { id: string }) => tenant.id)

  it('lets a super-admin grant a user of account A a role on account B: tenants list both, and a token re-scopes from A to B', async () => {
    const home = await insertTenantUser(t.app.db, ['member'])
    const other = await insertAccount(t.app.db)

    const granted = await call(t.app, superAdmin.token, 'PUT', roleUrl(other.id, home.user.id, 'operator'))
    expect(granted.statusCode).toBe(204)
    expect(granted.body).toBe('')

    const scopedToA = await login(t.app, { username: home.user.name, password: home.password, tenantId: home.account.id })
    expect((await tenantsOf(scopedToA.token)).sort()).toEqual([home.account.id, other.id].sort())

    const rescoped = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: scopedToA.token }, tenantId: other.id } } })
    expect(rescoped.statusCode).toBe(200)
    expect(rescoped.json().access.token.tenant).toEqual({ id: other.id, name: other.name, description: null, enabled: true })
    expect(rescoped.json().access.user.roles).toEqual([{ name: 'operator' }])
    expect(rescoped.json().access.token.expires).toBe(scopedToA.access.token.expires)

    const listed = await call(t.app, superAdmin.token, 'GET', `/accounts/${home.account.id}/users/${home.user.id}/roles`)
    expect(listed.statusCode).toBe(200)
    expect(listed.json().items).toHaveLength(2)
    expect(listed.json().items).toEqual(expect.arrayContaining([
      { accountId: home.account.id, accountName: home.account.name, role: 'member' },
      { accountId: other.id, accountName: other.name, role: 'operator' }
    ]))
  })

  it('withdraws the role again: the user can no longer scope to B, and B-scoped tokens carrying it are revoked', async () => {
    const home = await insertTenantUser(t.app.db, ['member'])
    const other = await insertAccount(t.app.db)
    await call(t.app, superAdmin.token, 'PUT', roleUrl(other.id, home.user.id, 'member'))
    const onB = await login(t.app, { username: home.user.name, password: home.password, tenantId: other.id })

    const withdrawn = await call(t.app, superAdmin.token, 'DELETE', roleUrl(other.id, home.user.id, 'member'))
    expect(withdrawn.statusCode).toBe(204)
    expect((await loginWithPassword(t.app, home.user.name, home.password, other.id)).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': onB.token } })).statusCode).toBe(401)
    expect((await loginWithPassword(t.app, home.user.name, home.password, home.account.id)).statusCode).toBe(200)
  })

  it('keeps an account admin to their own account\'s users: another account\'s user is 404, or 403 once visible', async () => {
    const adminOfB = await tenantSession(t.app, ['admin'])
    const userOfA = await insertTenantUser(t.app.db, ['member'])

    const unseen = await call(t.app, adminOfB.token, 'PUT', roleUrl(adminOfB.account.id, userOfA.user.id, 'member'))
    expect(unseen.statusCode).toBe(404)
    expect(unseen.json()).toEqual(errorBody(404, `user ${userOfA.user.id} does not exist`))

    await assignRole(t.app.db, userOfA.user.id, adminOfB.account.id, 'member')
    const visible = await call(t.app, adminOfB.token, 'PUT', roleUrl(adminOfB.account.id, userOfA.user.id, 'admin'))
    expect(visible.statusCode).toBe(403)
    expect(visible.json()).toEqual(FORBIDDEN)
    // And never on the user's own account.
    expect((await call(t.app, adminOfB.token, 'PUT', roleUrl(userOfA.account.id, userOfA.user.id, 'admin'))).statusCode).toBe(403)
    expect((await loginWithPassword(t.app, userOfA.user.name, userOfA.password, adminOfB.account.id)).json().access.user.roles).toEqual([{ name: 'member' }])
  })

  it('lets an account admin withdraw roles on their account from another account\'s user, and see only those roles', async () => {
    const adminOfB = await tenantSession(t.app, ['admin'])
    const userOfA = await insertTenantUser(t.app.db, ['member'])
    await assignRole(t.app.db, userOfA.user.id, adminOfB.account.id, 'member')
    await assignRole(t.app.db, userOfA.user.id, adminOfB.account.id, 'viewer')

    const listed = await call(t.app, adminOfB.token, 'GET', `/accounts/${adminOfB.account.id}/users/${userOfA.user.id}/roles`)
    expect(listed.statusCode).toBe(200)
    expect(listed.json()).toEqual({
      items: [
        { accountId: adminOfB.account.id, accountName: adminOfB.account.name, role: 'member' },
        { accountId: adminOfB.account.id, accountName: adminOfB.account.name, role: 'viewer' }
      ]
    })

    expect((await call(t.app, adminOfB.token, 'DELETE', roleUrl(adminOfB.account.id, userOfA.user.id, 'member'))).statusCode).toBe(204)
    expect((await call(t.app, adminOfB.token, 'GET', `/accounts/${adminOfB.account.id}/users/${userOfA.user.id}/roles`)).json().items)
      .toEqual([{ accountId: adminOfB.account.id, accountName: adminOfB.account.name, role: 'viewer' }])
    // Roles on the user's home account are not this admin's to withdraw.
    const elsewhere = await call(t.app, adminOfB.token, 'DELETE', roleUrl(userOfA.account.id, userOfA.user.id, 'member'))
    expect(elsewhere.statusCode).toBe(403)
    expect(elsewhere.json()).toEqual(FORBIDDEN)
  })

  it('answers 404 for the roles of an unknown user, or of a user with nothing on the account', async () => {
    const admin = await tenantSession(t.app, ['admin'])
    const stranger = await insertTenantUser(t.app.db)
    for (const userId of [randomUUID(), stranger.user.id]) {
      const response = await call(t.app, admin.token, 'GET', `/accounts/${admin.account.id}/users/${userId}/roles`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${userId} does not exist`))
    }
  })

  describe('account-level changes follow the same rule as user changes (a bypass until now)', () => {
    it('refuses an account admin disabling or deleting an account whose users hold roles elsewhere (403); a super-admin may', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const colleague = await insertUser(t.app.db, { accountId: admin.account.id, roles: ['member'] })
      const elsewhere = await insertAccount(t.app.db)
      await assignRole(t.app.db, colleague.user.id, elsewhere.id, 'admin')

      for (const [method, payload] of [['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
        const response = await call(t.app, admin.token, method, `/accounts/${admin.account.id}`, payload)
        expect({ method, status: response.statusCode, body: response.json() }).toEqual({ method, status: 403, body: FORBIDDEN })
      }
      // Nothing happened: the colleague still logs in on both accounts.
      expect((await loginWithPassword(t.app, colleague.user.name, colleague.password, elsewhere.id)).statusCode).toBe(200)
      expect((await loginWithPassword(t.app, colleague.user.name, colleague.password, admin.account.id)).statusCode).toBe(200)
      // Renaming reaches no user and stays allowed.
      expect((await call(t.app, admin.token, 'PATCH', `/accounts/${admin.account.id}`, { name: `${admin.account.name}-x` })).statusCode).toBe(200)

      expect((await call(t.app, superAdmin.token, 'PATCH', `/accounts/${admin.account.id}`, { enabled: false })).statusCode).toBe(200)
      expect((await call(t.app, superAdmin.token, 'DELETE', `/accounts/${admin.account.id}`)).statusCode).toBe(204)
      expect((await loginWithPassword(t.app, colleague.user.name, colleague.password, elsewhere.id)).statusCode).toBe(401)
    })

    it('still lets an account admin disable and delete an account whose users hold roles only there', async () => {
      const admin = await tenantSession(t.app, ['admin'])
      const guest = await insertTenantUser(t.app.db, ['member'])
      // A guest from another account does not make this account's users reach elsewhere.
      await assignRole(t.app.db, guest.user.id, admin.account.id, 'member')
      expect((await call(t.app, admin.token, 'DELETE', `/accounts/${admin.account.id}`)).statusCode).toBe(204)
      expect((await loginWithPassword(t.app, guest.user.name, guest.password, guest.account.id)).statusCode).toBe(200)
    })
  })
})
