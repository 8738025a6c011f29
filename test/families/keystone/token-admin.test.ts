import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignRole } from '../../../src/services/identity.js'
import { insertAccount, insertTenantUser, login, superAdminSession, tenantSession, type Login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

const UNAUTHORIZED_BODY = { error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } }
const NOT_VALID_BODY = { error: { message: 'Failed to validate token', code: 404, title: 'Not Found' } }
const forbidden = (action: string) => ({ error: { message: `You are not authorized to perform the requested action: ${action}.`, code: 403, title: 'Forbidden' } })

describe('Keystone admin token calls', () => {
  let t: TestApp
  /** An admin of the Tessera admin account: may act on every token. */
  let serviceAdmin: Login

  beforeAll(async () => {
    t = await setupTestApp()
    serviceAdmin = await superAdminSession(t.app)
  })
  afterAll(() => t?.close())

  const call = (method: 'GET' | 'HEAD' | 'DELETE', url: string, token?: string) =>
    t.app.inject({ method, url, headers: token === undefined ? {} : { 'x-auth-token': token } })

  describe('GET /v2.0/tokens/{tokenId} (§4)', () => {
    it('returns the access document with catalog and the original expiry to an admin', async () => {
      const subject = await tenantSession(t.app, ['member'])
      const response = await call('GET', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)
      expect(response.statusCode).toBe(200)
      expect(response.headers.vary).toBe('X-Auth-Token')
      expect(response.json()).toEqual({ access: subject.access })
    })

    it('refuses a token validating itself without the admin or service role (v2.0 is admin-only)', async () => {
      const subject = await tenantSession(t.app, ['member'])
      const response = await call('GET', `/v2.0/tokens/${subject.token}`, subject.token)
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(forbidden('identity:validate_token'))
      // The token itself is untouched: it still works for what it may do.
      expect((await call('GET', '/v2.0/tenants', subject.token)).statusCode).toBe(200)
    })

    it('lets a service-role token validate and check tokens of its account, but not list endpoints or revoke', async () => {
      const service = await tenantSession(t.app, ['service'])
      const subject = await insertTenantUser(t.app.db, ['member']).then(async (fixture) => {
        await assignRole(t.app.db, fixture.user.id, service.account.id, 'member')
        return login(t.app, { username: fixture.user.name, password: fixture.password, tenantId: service.account.id })
      })
      const validated = await call('GET', `/v2.0/tokens/${subject.token}`, service.token)
      expect(validated.statusCode).toBe(200)
      expect(validated.json()).toEqual({ access: subject.access })
      expect((await call('HEAD', `/v2.0/tokens/${subject.token}`, service.token)).statusCode).toBe(200)
      const endpoints = await call('GET', `/v2.0/tokens/${subject.token}/endpoints`, service.token)
      expect(endpoints.statusCode).toBe(403)
      expect(endpoints.json()).toEqual(forbidden('admin_required'))
      const revoke = await call('DELETE', `/v2.0/tokens/${subject.token}`, service.token)
      expect(revoke.statusCode).toBe(403)
      expect(revoke.json()).toEqual(forbidden('admin_required'))
    })

    it('lets an account admin validate tokens of their account only', async () => {
      const accountAdmin = await tenantSession(t.app, ['admin'])
      const colleague = await insertTenantUser(t.app.db, ['member']).then(async (fixture) => {
        await assignRole(t.app.db, fixture.user.id, accountAdmin.account.id, 'member')
        return login(t.app, { username: fixture.user.name, password: fixture.password, tenantId: accountAdmin.account.id })
      })
      const stranger = await tenantSession(t.app, ['member'])

      expect((await call('GET', `/v2.0/tokens/${colleague.token}`, accountAdmin.token)).statusCode).toBe(200)
      const refused = await call('GET', `/v2.0/tokens/${stranger.token}`, accountAdmin.token)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(forbidden('identity:validate_token'))
    })

    it('refuses a caller without the admin role with 403, even for an unknown token', async () => {
      const caller = await tenantSession(t.app, ['member'])
      const other = await tenantSession(t.app, ['member'])
      for (const target of [other.token, '0'.repeat(64)]) {
        const response = await call('GET', `/v2.0/tokens/${target}`, caller.token)
        expect(response.statusCode).toBe(403)
        expect(response.json()).toEqual(forbidden('identity:validate_token'))
      }
    })

    it('answers 401 with WWW-Authenticate without a valid X-Auth-Token', async () => {
      const subject = await tenantSession(t.app)
      for (const token of [undefined, '', 'nonsense']) {
        const response = await call('GET', `/v2.0/tokens/${subject.token}`, token)
        expect(response.statusCode).toBe(401)
        expect(response.headers['www-authenticate']).toBe('Keystone uri="http://localhost:80"')
        expect(response.json()).toEqual(UNAUTHORIZED_BODY)
      }
    })

    it('answers 404 "Failed to validate token" for unknown, revoked and expired tokens', async () => {
      const revoked = await tenantSession(t.app)
      await call('DELETE', `/v2.0/tokens/${revoked.token}`, serviceAdmin.token)
      const expired = await tenantSession(t.app)
      await t.app.db.updateTable('auth_sessions').set({ expires_at: new Date(Date.now() - 1) } as never)
        .where('audit_id', '=', expired.access.token.audit_ids[0]).execute()

      for (const target of ['0'.repeat(64), revoked.token, expired.token]) {
        const response = await call('GET', `/v2.0/tokens/${target}`, serviceAdmin.token)
        expect(response.statusCode).toBe(404)
        expect(response.json()).toEqual(NOT_VALID_BODY)
      }
    })

    it('checks belongsTo: 200 for the token\'s tenant, 401 otherwise and for unscoped tokens', async () => {
      const subject = await tenantSession(t.app)
      const ok = await call('GET', `/v2.0/tokens/${subject.token}?belongsTo=${subject.account.id}`, serviceAdmin.token)
      expect(ok.statusCode).toBe(200)

      const byName = await call('GET', `/v2.0/tokens/${subject.token}?belongsTo=${subject.account.name}`, serviceAdmin.token)
      expect(byName.statusCode).toBe(401)
      expect(byName.json()).toEqual(UNAUTHORIZED_BODY)

      const unscoped = await login(t.app, { username: subject.user.user.name, password: subject.user.password })
      const response = await call('GET', `/v2.0/tokens/${unscoped.token}?belongsTo=${subject.account.id}`, serviceAdmin.token)
      expect(response.statusCode).toBe(401)
    })

    it('returns an unscoped token without tenant and with an empty catalog', async () => {
      const subject = await tenantSession(t.app)
      const unscoped = await login(t.app, { username: subject.user.user.name, password: subject.user.password })
      const response = await call('GET', `/v2.0/tokens/${unscoped.token}`, serviceAdmin.token)
      expect(response.statusCode).toBe(200)
      expect(response.json().access.token).not.toHaveProperty('tenant')
      expect(response.json().access.serviceCatalog).toEqual([])
    })
  })

  describe('HEAD /v2.0/tokens/{tokenId} (§5)', () => {
    it('answers 200 with the GET\'s headers and no body', async () => {
      const subject = await tenantSession(t.app)
      const get = await call('GET', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)
      const head = await call('HEAD', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)
      expect(head.statusCode).toBe(200)
      expect(head.body).toBe('')
      expect(head.headers['content-type']).toBe(get.headers['content-type'])
      expect(head.headers['content-length']).toBe(get.headers['content-length'])
    })

    it('answers 404 for an invalid token, 401 for a belongsTo mismatch, with no body', async () => {
      const subject = await tenantSession(t.app)
      const missing = await call('HEAD', `/v2.0/tokens/${'0'.repeat(64)}`, serviceAdmin.token)
      expect(missing.statusCode).toBe(404)
      expect(missing.body).toBe('')
      const mismatch = await call('HEAD', `/v2.0/tokens/${subject.token}?belongsTo=elsewhere`, serviceAdmin.token)
      expect(mismatch.statusCode).toBe(401)
      expect(mismatch.body).toBe('')
    })

    it('needs the admin role: a token may not HEAD itself', async () => {
      const subject = await tenantSession(t.app, ['member'])
      const response = await call('HEAD', `/v2.0/tokens/${subject.token}`, subject.token)
      expect(response.statusCode).toBe(403)
    })
  })

  describe('GET /v2.0/tokens/{tokenId}/endpoints (§6)', () => {
    it('lists the scoped token\'s endpoints with service names and types', async () => {
      const subject = await tenantSession(t.app)
      const response = await call('GET', `/v2.0/tokens/${subject.token}/endpoints`, serviceAdmin.token)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body.endpoints_links).toEqual([])
      expect(body.endpoints.map((endpoint: { name: string, type: string }) => [endpoint.name, endpoint.type])).toEqual([['keystone', 'identity'], ['cloudMonitoring', 'rax:monitor']])
      expect(body.endpoints[1]).toEqual({
        id: expect.any(String),
        name: 'cloudMonitoring',
        type: 'rax:monitor',
        tenantId: subject.account.id,
        publicURL: `http://localhost:80/v1.0/${subject.account.id}`
      })
    })

    it('answers {} for an unscoped token and 404 for an invalid one', async () => {
      const subject = await tenantSession(t.app)
      const unscoped = await login(t.app, { username: subject.user.user.name, password: subject.user.password })
      const empty = await call('GET', `/v2.0/tokens/${unscoped.token}/endpoints`, serviceAdmin.token)
      expect(empty.statusCode).toBe(200)
      expect(empty.json()).toEqual({})
      const missing = await call('GET', `/v2.0/tokens/${'0'.repeat(64)}/endpoints`, serviceAdmin.token)
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual(NOT_VALID_BODY)
    })

    it('needs the admin role', async () => {
      const subject = await tenantSession(t.app, ['member'])
      const response = await call('GET', `/v2.0/tokens/${subject.token}/endpoints`, subject.token)
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(forbidden('admin_required'))
    })
  })

  describe('DELETE /v2.0/tokens/{tokenId} (§7)', () => {
    it('revokes: 204, then GET and HEAD 404 and re-scoping 401', async () => {
      const subject = await tenantSession(t.app)
      const response = await call('DELETE', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)
      expect(response.statusCode).toBe(204)
      expect(response.body).toBe('')
      expect((await call('GET', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)).statusCode).toBe(404)
      expect((await call('HEAD', `/v2.0/tokens/${subject.token}`, serviceAdmin.token)).statusCode).toBe(404)
      const rescope = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: subject.token } } } })
      expect(rescope.statusCode).toBe(401)
      // A revoked token no longer authenticates anything.
      expect((await call('GET', `/v2.0/tokens/${serviceAdmin.token}`, subject.token)).statusCode).toBe(401)
    })

    it('does not revoke the unscoped token a scoped one came from', async () => {
      const subject = await tenantSession(t.app)
      const unscoped = await login(t.app, { username: subject.user.user.name, password: subject.user.password })
      const scoped = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: unscoped.token }, tenantId: subject.account.id } } })
      await call('DELETE', `/v2.0/tokens/${scoped.json().access.token.id}`, serviceAdmin.token)
      expect((await call('GET', `/v2.0/tokens/${unscoped.token}`, serviceAdmin.token)).statusCode).toBe(200)
    })

    it('answers 404 for an unknown token and 403 without the admin role', async () => {
      const missing = await call('DELETE', `/v2.0/tokens/${'0'.repeat(64)}`, serviceAdmin.token)
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual(NOT_VALID_BODY)
      const caller = await tenantSession(t.app, ['member'])
      const other = await tenantSession(t.app, ['member'])
      const refused = await call('DELETE', `/v2.0/tokens/${other.token}`, caller.token)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(forbidden('admin_required'))
      expect((await call('GET', `/v2.0/tokens/${other.token}`, serviceAdmin.token)).statusCode).toBe(200)
    })

    it('lets a token revoke itself, by id or with DELETE /v2.0/tokens (Rackspace)', async () => {
      const first = await tenantSession(t.app, ['member'])
      expect((await call('DELETE', `/v2.0/tokens/${first.token}`, first.token)).statusCode).toBe(204)
      expect((await call('GET', `/v2.0/tokens/${first.token}`, serviceAdmin.token)).statusCode).toBe(404)

      const second = await tenantSession(t.app, ['member'])
      expect((await call('DELETE', '/v2.0/tokens', second.token)).statusCode).toBe(204)
      expect((await call('GET', `/v2.0/tokens/${second.token}`, serviceAdmin.token)).statusCode).toBe(404)
      const again = await call('DELETE', '/v2.0/tokens', second.token)
      expect(again.statusCode).toBe(401)
      expect(again.json()).toEqual(UNAUTHORIZED_BODY)
    })
  })

  describe('GET /v2.0/tenants (§8)', () => {
    async function userWithTenants (count: number) {
      const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
      const ids = [account.id]
      for (let i = 1; i < count; i++) {
        const extra = await insertAccount(t.app.db)
        await assignRole(t.app.db, user.id, extra.id, i % 2 ? 'member' : 'observer')
        ids.push(extra.id)
      }
      return { token: (await login(t.app, { username: user.name, password })).token, ids: ids.sort() }
    }

    it('lists the tenants of the token\'s user, unscoped or scoped, in id order', async () => {
      const { token, ids } = await userWithTenants(3)
      const response = await call('GET', '/v2.0/tenants', token)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body.tenants_links).toEqual([])
      expect(body.tenants.map((tenant: { id: string }) => tenant.id)).toEqual(ids)
      expect(body.tenants[0]).toEqual({ id: ids[0], name: expect.any(String), description: null, enabled: true })
    })

    it('pages with an exclusive marker and a limit', async () => {
      const { token, ids } = await userWithTenants(5)
      const seen: string[] = []
      let marker: string | undefined
      for (;;) {
        const response = await call('GET', `/v2.0/tenants?limit=2${marker ? `&marker=${marker}` : ''}`, token)
        expect(response.statusCode).toBe(200)
        const page = response.json().tenants.map((tenant: { id: string }) => tenant.id)
        if (page.length === 0) break
        seen.push(...page)
        marker = page.at(-1)
      }
      expect(seen).toEqual(ids)
      expect((await call('GET', '/v2.0/tenants?limit=0', token)).json().tenants).toEqual([])
    })

    it('answers 400 for an invalid limit or an unknown marker', async () => {
      const { token } = await userWithTenants(1)
      for (const limit of ['-1', 'abc', '1.5']) {
        const response = await call('GET', `/v2.0/tenants?limit=${limit}`, token)
        expect(response.statusCode).toBe(400)
        expect(response.json()).toEqual({ error: { message: 'Invalid limit value', code: 400, title: 'Bad Request' } })
      }
      const marker = await call('GET', '/v2.0/tenants?marker=not-mine', token)
      expect(marker.statusCode).toBe(400)
      expect(marker.json()).toEqual({ error: { message: 'Marker could not be found', code: 400, title: 'Bad Request' } })
    })

    it('answers 401 with WWW-Authenticate without a valid token', async () => {
      for (const token of [undefined, 'nonsense']) {
        const response = await call('GET', '/v2.0/tenants', token)
        expect(response.statusCode).toBe(401)
        expect(response.headers['www-authenticate']).toBe('Keystone uri="http://localhost:80"')
        expect(response.json()).toEqual(UNAUTHORIZED_BODY)
      }
    })
  })
})
