import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { roleId } from '../../../src/families/keystone/access.js'
import { assignRole, changeAccount, changeUser } from '../../../src/services/identity.js'
import { insertAccount, insertTenantUser, insertUser, login, unique } from '../../helpers/factories.js'
import { clockPassed } from '../../helpers/clock-passed.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

const MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'
const OVERSIZED = 'The server could not comply with the request because the attribute size is invalid (too large). The client is assumed to be in error.'
const UNAUTHORIZED_BODY = { error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } }

const badRequest = (message: string) => ({ error: { message, code: 400, title: 'Bad Request' } })
const expecting = (attribute: string, target: string) => badRequest(`Expecting to find ${attribute} in ${target}. ${MALFORMED}`)
const tooLarge = (attribute: string, size: number) => badRequest(`Request attribute ${attribute} must be less than or equal to ${size}. ${OVERSIZED}`)

/** Keystone Pike: UTC, six fractional digits, Z. */
const KEYSTONE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

describe('POST /v2.0/tokens', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp({ env: { TOKEN_TTL: '1h' } }) })
  afterAll(() => t?.close())

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: payload as object, headers })

  describe('password credentials', () => {
    it('issues a scoped token in the Keystone Pike shape (§3.3)', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db, ['member', 'admin'])
      const before = Date.now()
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, tenantId: account.id } })

      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      const { access } = response.json()
      expect(Object.keys(access).sort()).toEqual(['metadata', 'serviceCatalog', 'token', 'user'])
      expect(access.token.id).toMatch(/^[0-9a-f]{64}$/)
      expect(access.token.issued_at).toMatch(KEYSTONE_TIME)
      expect(access.token.expires).toMatch(KEYSTONE_TIME)
      const expires = Date.parse(access.token.expires)
      expect(expires - Date.parse(access.token.issued_at)).toBe(3600_000)
      expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 1000)
      expect(access.token.audit_ids).toHaveLength(1)
      expect(access.token.audit_ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(access.token.tenant).toEqual({ id: account.id, name: account.name, description: null, enabled: true })
      expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(access.user).toEqual({
        id: user.id,
        name: user.name,
        username: user.name,
        roles: [{ name: 'admin' }, { name: 'member' }],
        roles_links: []
      })
      expect(access.metadata).toEqual({ is_admin: 0, roles: [roleId('admin'), roleId('member')] })
    })

    it('lists identity and a region-less cloudMonitoring endpoint in the catalog (§9.3, §11.2)', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, tenantName: account.name } })
      const catalog = response.json().access.serviceCatalog
      const base = 'http://localhost:80'
      expect(catalog).toEqual([
        {
          name: 'keystone',
          type: 'identity',
          endpoints_links: [],
          endpoints: [{
            id: expect.stringMatching(/^[0-9a-f]{32}$/),
            region: 'RegionOne',
            publicURL: `${base}/v2.0`,
            internalURL: `${base}/v2.0`,
            adminURL: `${base}/v2.0`
          }]
        },
        {
          name: 'cloudMonitoring',
          type: 'rax:monitor',
          endpoints_links: [],
          endpoints: [{ id: expect.stringMatching(/^[0-9a-f]{32}$/), tenantId: account.id, publicURL: `${base}/v1.0/${account.id}` }]
        }
      ])
    })

    it('builds catalog URLs from the Host the client used', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, tenantId: account.id } }, { host: 'identity.example.test:5000' })
      const monitoring = response.json().access.serviceCatalog.find((service: { type: string }) => service.type === 'rax:monitor')
      expect(monitoring.endpoints[0].publicURL).toBe(`http://identity.example.test:5000/v1.0/${account.id}`)
    })

    it('issues an unscoped token without tenant, with an empty catalog and no roles', async () => {
      const { user, password } = await insertTenantUser(t.app.db, ['admin'])
      const response = await post({ auth: { passwordCredentials: { username: user.name, password } } })
      expect(response.statusCode).toBe(200)
      const { access } = response.json()
      expect(access.token).not.toHaveProperty('tenant')
      expect(access.serviceCatalog).toEqual([])
      expect(access.user.roles).toEqual([])
      expect(access.metadata).toEqual({ is_admin: 0, roles: [] })
    })

    it('accepts userId instead of username; username wins when both are given', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const byId = await post({ auth: { passwordCredentials: { userId: user.id, password }, tenantId: account.id } })
      expect(byId.statusCode).toBe(200)
      expect(byId.json().access.user.id).toBe(user.id)

      const other = await insertTenantUser(t.app.db)
      const both = await post({ auth: { passwordCredentials: { username: user.name, userId: other.user.id, password } } })
      expect(both.statusCode).toBe(200)
      expect(both.json().access.user.id).toBe(user.id)
    })

    it('prefers tenantId over tenantName (Keystone profile)', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, tenantId: account.id, tenantName: 'no-such-tenant' } })
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token.tenant.id).toBe(account.id)
    })

    it('accepts a numeric tenantId', async () => {
      const account = await insertAccount(t.app.db, { id: String(Math.floor(Math.random() * 1e9)) })
      const { user, password } = await insertUser(t.app.db, { accountId: account.id })
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, tenantId: Number(account.id) } })
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token.tenant.id).toBe(account.id)
    })

    it('ignores X-Auth-Token, empty or unrelated (§3.1)', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      for (const token of ['', 'not-a-token']) {
        const response = await post({ auth: { passwordCredentials: { username: user.name, password } } }, { 'x-auth-token': token })
        expect(response.statusCode).toBe(200)
      }
    })

    it('answers every bad credential with the same generic 401 (§3.2 steps 6–9)', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const disabledUser = await insertTenantUser(t.app.db)
      await changeUser(t.app.db, t.app.credentialTools.passwords, disabledUser.user.id, { enabled: false })
      const disabledHome = await insertTenantUser(t.app.db)
      await changeAccount(t.app.db, disabledHome.account.id, { enabled: false }, t.app.config.admin.account)
      const disabledTenant = await insertAccount(t.app.db, { enabled: false })
      const roleless = await insertAccount(t.app.db)

      const cases = [
        { passwordCredentials: { username: unique('nobody'), password } },
        { passwordCredentials: { username: user.name, password: 'wrong-password' } },
        { passwordCredentials: { username: user.name, password: '' } },
        { passwordCredentials: { userId: 'no-such-id', password } },
        { passwordCredentials: { username: disabledUser.user.name, password: disabledUser.password } },
        { passwordCredentials: { username: disabledHome.user.name, password: disabledHome.password } },
        { passwordCredentials: { username: user.name, password }, tenantId: 'no-such-tenant' },
        { passwordCredentials: { username: user.name, password }, tenantName: 'no-such-tenant' },
        { passwordCredentials: { username: user.name, password }, tenantId: disabledTenant.id },
        { passwordCredentials: { username: user.name, password }, tenantId: roleless.id }
      ]
      for (const auth of cases) {
        const response = await post({ auth })
        expect(response.statusCode, JSON.stringify(auth)).toBe(401)
        expect(response.json()).toEqual(UNAUTHORIZED_BODY)
        expect(response.headers['www-authenticate']).toBe('Keystone uri="http://localhost:80"')
      }
      // Control: the same user and tenant work.
      expect((await post({ auth: { passwordCredentials: { username: user.name, password }, tenantId: account.id } })).statusCode).toBe(200)
    })

    it('checks the password before the tenant name size: bad password + oversized tenantName is 401 (§3.2 step 7)', async () => {
      const { user } = await insertTenantUser(t.app.db)
      const response = await post({ auth: { passwordCredentials: { username: user.name, password: 'wrong-password' }, tenantName: 'x'.repeat(65) } })
      expect(response.statusCode).toBe(401)
    })

    it('answers shape errors with 400 in Keystone order (§3.2 steps 1–5, 7)', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const cases: [unknown, object][] = [
        [{}, expecting('auth', 'request body')],
        [{ auth: null }, expecting('auth', 'request body')],
        [{ auth: 'abcd' }, expecting('auth', 'request body')],
        [{ auth: {} }, expecting('auth', 'request body')],
        [{ auth: { tenantName: 'x' } }, expecting('auth', 'request body')],
        [{ auth: { passwordCredentials: {} } }, expecting('password', 'passwordCredentials')],
        [{ auth: { passwordCredentials: { username: user.name } } }, expecting('password', 'passwordCredentials')],
        [{ auth: { passwordCredentials: { username: user.name, password: 'p'.repeat(4097) } } }, tooLarge('password', 4096)],
        [{ auth: { passwordCredentials: { password } } }, expecting('username or userId', 'passwordCredentials')],
        [{ auth: { passwordCredentials: { username: '', userId: '', password } } }, expecting('username or userId', 'passwordCredentials')],
        [{ auth: { passwordCredentials: { username: 'u'.repeat(65), password } } }, tooLarge('username', 64)],
        [{ auth: { passwordCredentials: { userId: 'u'.repeat(65), password } } }, tooLarge('userId', 64)],
        [{ auth: { passwordCredentials: { username: user.name, password }, tenantId: 't'.repeat(65) } }, tooLarge('tenantId', 64)],
        [{ auth: { passwordCredentials: { username: user.name, password }, tenantName: 't'.repeat(65) } }, tooLarge('tenantName', 64)],
        [{ auth: { passwordCredentials: { username: user.name, password: 42 } } }, expecting('password', 'passwordCredentials')],
        [{ auth: { passwordCredentials: 'x' } }, expecting('passwordCredentials', 'auth')],
        [[], expecting('valid JSON object', 'request body')],
        ['null', expecting('valid JSON object', 'request body')],
        ['"text"', expecting('valid JSON object', 'request body')]
      ]
      for (const [payload, body] of cases) {
        const response = typeof payload === 'string'
          ? await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload, headers: { 'content-type': 'application/json' } })
          : await post(payload)
        expect(response.statusCode, JSON.stringify(payload)).toBe(400)
        expect(response.json(), JSON.stringify(payload)).toEqual(body)
      }
    })

    it('refuses a trust_id with 403 after authenticating', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const response = await post({ auth: { passwordCredentials: { username: user.name, password }, trust_id: 'abc' } })
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual({ error: { message: 'You are not authorized to perform the requested action: trusts are not supported.', code: 403, title: 'Forbidden' } })
    })
  })

  describe('Rackspace API-key credentials', () => {
    it('scopes a tenant-less API-key login to the user\'s own account, as Rackspace does (fog sends no tenant)', async () => {
      const { account, user, apiKey } = await insertTenantUser(t.app.db, ['member'])
      const response = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey } } })
      expect(response.statusCode).toBe(200)
      const { access } = response.json()
      expect(access.user.id).toBe(user.id)
      expect(access.token.tenant.id).toBe(account.id)
      expect(access.user.roles).toEqual([{ name: 'member' }])
      expect(access.serviceCatalog.map((service: { name: string }) => service.name)).toEqual(['keystone', 'cloudMonitoring'])
    })

    it('leaves a tenant-less API-key login unscoped when the user holds no role on their account', async () => {
      const home = await insertAccount(t.app.db)
      const elsewhere = await insertAccount(t.app.db)
      const { user, apiKey } = await insertUser(t.app.db, { accountId: home.id, roles: [] })
      await assignRole(t.app.db, user.id, elsewhere.id, 'member')
      const response = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey } } })
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token).not.toHaveProperty('tenant')
      expect(response.json().access.serviceCatalog).toEqual([])
    })

    it('scopes with tenantId, as pkgcloud and the monitoring agent send it', async () => {
      const { account, user, apiKey } = await insertTenantUser(t.app.db, ['admin'])
      const response = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey }, tenantId: account.id } })
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token.tenant.id).toBe(account.id)
      expect(response.json().access.user.roles).toEqual([{ name: 'admin' }])
    })

    it('refuses a wrong key, an unknown user and a disabled user with the generic 401', async () => {
      const { user, apiKey } = await insertTenantUser(t.app.db)
      const disabled = await insertTenantUser(t.app.db)
      await changeUser(t.app.db, t.app.credentialTools.passwords, disabled.user.id, { enabled: false })
      for (const credentials of [
        { username: user.name, apiKey: '0'.repeat(32) },
        { username: user.name, apiKey: apiKey.toUpperCase() },
        { username: unique('nobody'), apiKey },
        { username: disabled.user.name, apiKey: disabled.apiKey }
      ]) {
        const response = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': credentials } })
        expect(response.statusCode).toBe(401)
        expect(response.json()).toEqual(UNAUTHORIZED_BODY)
      }
    })

    it('answers missing fields with 400', async () => {
      const missingKey = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': { username: 'x' } } })
      expect(missingKey.statusCode).toBe(400)
      expect(missingKey.json()).toEqual(expecting('apiKey', 'RAX-KSKEY:apiKeyCredentials'))
      const missingUser = await post({ auth: { 'RAX-KSKEY:apiKeyCredentials': { apiKey: 'x' } } })
      expect(missingUser.json()).toEqual(expecting('username', 'RAX-KSKEY:apiKeyCredentials'))
    })
  })

  describe('token re-scope', () => {
    it('scopes an unscoped token, keeping its expiry and chaining audit ids (§3.2 token path step 7)', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
      const unscoped = await login(t.app, { username: user.name, password })
      // A later issue instant for the re-scoped token.
      await clockPassed(Date.parse(unscoped.access.token.issued_at))
      const response = await post({ auth: { token: { id: unscoped.token }, tenantId: account.id } })

      expect(response.statusCode).toBe(200)
      const { access } = response.json()
      expect(access.token.id).not.toBe(unscoped.token)
      expect(access.token.expires).toBe(unscoped.access.token.expires)
      expect(access.token.issued_at).not.toBe(unscoped.access.token.issued_at)
      expect(access.token.audit_ids).toEqual([expect.any(String), unscoped.access.token.audit_ids[0]])
      expect(access.token.audit_ids[0]).not.toBe(unscoped.access.token.audit_ids[0])
      expect(access.token.tenant.id).toBe(account.id)
      expect(access.user.roles).toEqual([{ name: 'member' }])
    })

    it('keeps the first audit id of the chain when re-scoping a re-scoped token', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const first = await login(t.app, { username: user.name, password })
      const second = (await post({ auth: { token: { id: first.token }, tenantId: account.id } })).json().access
      const third = (await post({ auth: { token: { id: second.token.id }, tenantName: account.name } })).json().access
      expect(third.token.audit_ids).toEqual([expect.any(String), first.access.token.audit_ids[0]])
    })

    it('takes the token over passwordCredentials when both are given', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const unscoped = await login(t.app, { username: user.name, password })
      const response = await post({ auth: { token: { id: unscoped.token }, passwordCredentials: { username: user.name, password: 'wrong-password' }, tenantId: account.id } })
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token.audit_ids[1]).toBe(unscoped.access.token.audit_ids[0])
    })

    it('refuses unknown and revoked tokens with 401, and a token without id with 400', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const session = await login(t.app, { username: user.name, password })
      await t.app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': session.token } })

      for (const id of ['0'.repeat(64), session.token]) {
        const response = await post({ auth: { token: { id }, tenantId: account.id } })
        expect(response.statusCode).toBe(401)
        expect(response.json()).toEqual(UNAUTHORIZED_BODY)
      }
      const noId = await post({ auth: { token: {} } })
      expect(noId.statusCode).toBe(400)
      expect(noId.json()).toEqual(expecting('id', 'token'))
      const tooLong = await post({ auth: { token: { id: 'x'.repeat(256) } } })
      expect(tooLong.json()).toEqual(tooLarge('id', 255))
    })

    it('refuses an expired token with 401', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const session = await login(t.app, { username: user.name, password })
      await t.app.db.updateTable('auth_sessions').set({ expires_at: new Date(Date.now() - 1000) } as never)
        .where('audit_id', '=', session.access.token.audit_ids[0]).execute()
      const response = await post({ auth: { token: { id: session.token } } })
      expect(response.statusCode).toBe(401)
    })

    it('refuses a token whose user was disabled since', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db)
      const session = await login(t.app, { username: user.name, password })
      await changeUser(t.app.db, t.app.credentialTools.passwords, user.id, { enabled: false })
      const response = await post({ auth: { token: { id: session.token }, tenantId: account.id } })
      expect(response.statusCode).toBe(401)
    })
  })

  it('stores only the SHA-256 of the token id', async () => {
    const { user, password } = await insertTenantUser(t.app.db)
    const session = await login(t.app, { username: user.name, password })
    const row = await t.app.db.selectFrom('auth_sessions').selectAll().where('audit_id', '=', session.access.token.audit_ids[0]).executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(session.token)
    expect(Buffer.from(row.secret_hash).toString('hex')).toHaveLength(64)
    expect(Buffer.from(row.secret_hash).toString('hex')).not.toBe(session.token)
  })
})
