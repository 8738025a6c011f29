import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changeAccount, changeUser, rotateApiKey, withdrawRole } from '../../../src/services/identity.js'
import { login, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

describe('sessions follow their user and account', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  const tenants = (token: string) => t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': token } })

  it('a disabled user\'s tokens stay refused after the user is enabled again', async () => {
    const session = await tenantSession(t.app)
    await changeUser(t.app.db, session.user.user.id, { enabled: false })
    expect((await tenants(session.token)).statusCode).toBe(401)
    await changeUser(t.app.db, session.user.user.id, { enabled: true })
    expect((await tenants(session.token)).statusCode).toBe(401)
    const fresh = await login(t.app, { username: session.user.user.name, password: session.user.password })
    expect((await tenants(fresh.token)).statusCode).toBe(200)
  })

  it('a disabled account\'s tokens stay refused after the account is enabled again', async () => {
    const session = await tenantSession(t.app)
    await changeAccount(t.app.db, session.account.id, { enabled: false })
    expect((await tenants(session.token)).statusCode).toBe(401)
    await changeAccount(t.app.db, session.account.id, { enabled: true })
    expect((await tenants(session.token)).statusCode).toBe(401)
  })

  it('a new password revokes the user\'s tokens; renaming does not', async () => {
    const session = await tenantSession(t.app)
    await changeUser(t.app.db, session.user.user.id, { email: 'someone@example.com' })
    expect((await tenants(session.token)).statusCode).toBe(200)
    await changeUser(t.app.db, session.user.user.id, { password: 'a-new-password' })
    expect((await tenants(session.token)).statusCode).toBe(401)
  })

  it('rotating the API key keeps existing tokens (Rackspace resets only the key)', async () => {
    const session = await tenantSession(t.app)
    await rotateApiKey(t.app.db, session.user.user.id)
    expect((await tenants(session.token)).statusCode).toBe(200)
  })

  it('withdrawing a role revokes the sessions that carry it, not others', async () => {
    const session = await tenantSession(t.app, ['admin', 'member'])
    const unscoped = await login(t.app, { username: session.user.user.name, password: session.user.password })
    expect(await withdrawRole(t.app.db, session.user.user.id, session.account.id, 'admin')).toBe(true)
    expect((await tenants(session.token)).statusCode).toBe(401)
    expect((await tenants(unscoped.token)).statusCode).toBe(200)
  })
})
