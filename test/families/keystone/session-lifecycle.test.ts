import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changeAccount, changeUser, rotateApiKey, withdrawRole } from '../../../src/services/identity.js'
import { login, superAdminSession, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

describe('sessions follow their user and account', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  const tenants = (token: string) => t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': token } })

  it('a disabled user\'s tokens stay refused after the user is enabled again', async () => {
    const session = await tenantSession(t.app)
    await changeUser(t.app.db, t.app.credentialTools.passwords, session.user.user.id, { enabled: false })
    expect((await tenants(session.token)).statusCode).toBe(401)
    await changeUser(t.app.db, t.app.credentialTools.passwords, session.user.user.id, { enabled: true })
    expect((await tenants(session.token)).statusCode).toBe(401)
    const fresh = await login(t.app, { username: session.user.user.name, password: session.user.password })
    expect((await tenants(fresh.token)).statusCode).toBe(200)
  })

  it('a disabled account\'s tokens stay refused after the account is enabled again', async () => {
    const session = await tenantSession(t.app)
    await changeAccount(t.app.db, session.account.id, { enabled: false }, t.app.config.admin.account)
    expect((await tenants(session.token)).statusCode).toBe(401)
    await changeAccount(t.app.db, session.account.id, { enabled: true }, t.app.config.admin.account)
    expect((await tenants(session.token)).statusCode).toBe(401)
  })

  it('a new password revokes the user\'s tokens; renaming does not', async () => {
    const session = await tenantSession(t.app)
    await changeUser(t.app.db, t.app.credentialTools.passwords, session.user.user.id, { email: 'someone@example.com' })
    expect((await tenants(session.token)).statusCode).toBe(200)
    await changeUser(t.app.db, t.app.credentialTools.passwords, session.user.user.id, { password: 'a-new-password' })
    expect((await tenants(session.token)).statusCode).toBe(401)
  })

  it('rotating the API key keeps existing tokens (Rackspace resets only the key)', async () => {
    const session = await tenantSession(t.app)
    await rotateApiKey(t.app.db, t.app.credentialTools.box, session.user.user.id)
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

describe('session expiry follows the app\'s one clock', () => {
  let t: TestApp
  let now = Date.now()
  beforeAll(async () => { t = await setupTestApp({ env: { TOKEN_TTL: '1h' }, clock: () => new Date(now) }) })
  afterAll(() => t?.close())

  it('issues with the clock\'s time and refuses the token once the clock passes its expiry, everywhere', async () => {
    const admin = await superAdminSession(t.app)
    const session = await tenantSession(t.app, ['member'])
    expect(Date.parse(session.access.token.issued_at)).toBe(now)
    expect(Date.parse(session.access.token.expires)).toBe(now + 3600_000)
    const tenants = () => t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    expect((await tenants()).statusCode).toBe(200)

    now += 3600_000 - 1
    expect((await tenants()).statusCode).toBe(200)
    now += 1
    expect((await tenants()).statusCode).toBe(401)
    const rescope = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: session.token } } } })
    expect(rescope.statusCode).toBe(401)
    // The admin's own session expired with the same clock tick; a fresh one sees the token as gone.
    const fresh = await superAdminSession(t.app)
    const validated = await t.app.inject({ url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': fresh.token } })
    expect(validated.statusCode).toBe(404)
    expect(admin.token).not.toBe(fresh.token)
  })
})
