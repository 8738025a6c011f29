import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser, insertUser, login, superAdminSession, tenantSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import * as astra from '../astra/helpers.js'
import { createHostFactory, createTokens, FUTURE, hfId, newTenant, userHeader } from '../conjur/helpers.js'

const KEYSTONE_401 = { error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } }

describe('the audit trail (GET /admin/v1/accounts/{accountId}/audit-events)', () => {
  let t: TestApp
  let superToken: string

  beforeAll(async () => {
    t = await setupTestApp()
    superToken = (await superAdminSession(t.app)).token
  })
  afterAll(() => t?.close())

  async function events (accountId: string, query: Record<string, string>, token = superToken) {
    const response = await t.app.inject({ url: `/admin/v1/accounts/${accountId}/audit-events?${new URLSearchParams(query)}`, headers: { 'x-auth-token': token } })
    expect(response.statusCode).toBe(200)
    return response.json()
  }

  /** The events of one request, once refusals (written in batches) are in. */
  async function eventsOf (accountId: string, requestId: string) {
    await t.app.auditQueue.flush()
    return (await events(accountId, { requestId })).items
  }

  it('records a session issued and revoked: who, which session, client IP and request id, never the token or the password', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
    const issued = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: '203.0.113.7', payload: { auth: { passwordCredentials: { username: user.name, password }, tenantId: account.id } } })
    expect(issued.statusCode).toBe(200)
    const token = issued.json().access.token.id
    const requestId = issued.headers['x-request-id'] as string
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    const [event, ...others] = await eventsOf(account.id, requestId)
    expect(others).toEqual([])
    expect(event).toMatchObject({
      kind: 'session.issued',
      accountId: account.id,
      actor: { kind: 'user', id: user.id, name: user.name },
      object: { type: 'session', id: issued.json().access.token.audit_ids[0] },
      requestId,
      clientIp: '203.0.113.7',
      reason: null,
      details: { method: 'password', userId: user.id, expiresAt: new Date(issued.json().access.token.expires).toISOString() }
    })
    expect(Date.parse(event.occurredAt)).toBeGreaterThan(Date.now() - 60_000)

    const revoked = await t.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': superToken } })
    expect(revoked.statusCode).toBe(204)
    const [revocation] = await eventsOf(account.id, revoked.headers['x-request-id'] as string)
    expect(revocation).toMatchObject({ kind: 'session.revoked', object: { type: 'session', id: event.object.id }, actor: { kind: 'user' } })
    const trail = JSON.stringify(await events(account.id, {}))
    expect(trail).not.toContain(token)
    expect(trail).not.toContain(password)
  })

  it('records a re-scope with the session it came from, and an API-key login scoped to the user\'s own account', async () => {
    const { account, user, password, apiKey, apiKeyAccessor } = await insertTenantUser(t.app.db, ['admin'])
    const unscoped = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password } } } })
    expect(unscoped.statusCode).toBe(200)
    const parent = unscoped.json().access.token
    const rescoped = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { token: { id: parent.id }, tenantId: account.id } } })
    expect(rescoped.statusCode).toBe(200)
    const child = rescoped.json().access.token
    // The session it came from is the credential the actor used.
    const actor = { kind: 'user', id: user.id, name: user.name, credential: parent.audit_ids[0] }
    expect(await eventsOf(account.id, rescoped.headers['x-request-id'] as string)).toEqual([expect.objectContaining({
      kind: 'session.rescoped',
      accountId: account.id,
      actor,
      object: { type: 'session', id: child.audit_ids[0] },
      details: { method: 'token', userId: user.id, rescopedFrom: parent.audit_ids[0], expiresAt: new Date(parent.expires).toISOString() }
    })])

    const keyLogin = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey } } } })
    expect(keyLogin.statusCode).toBe(200)
    expect(keyLogin.json().access.token.tenant.id).toBe(account.id)
    expect(await eventsOf(account.id, keyLogin.headers['x-request-id'] as string)).toEqual([expect.objectContaining({
      kind: 'session.issued', accountId: account.id, actor: { ...actor, credential: apiKeyAccessor }, object: { type: 'session', id: keyLogin.json().access.token.audit_ids[0] }, details: expect.objectContaining({ method: 'apikey' })
    })])
  })

  it('records each host factory token created, by accessor (as the reply\'s header lists them), with its factory and expiration', async () => {
    const tenant = await newTenant(t.app)
    const factory = await createHostFactory(t.app, tenant)
    const created = await createTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory), expiration: FUTURE, count: 2 })
    expect(created.statusCode).toBe(200)
    const accessors = String(created.headers['tessera-credential-accessor']).split(', ')
    expect(accessors).toEqual([expect.stringMatching(/^hft_[0-9a-f]{32}$/), expect.stringMatching(/^hft_[0-9a-f]{32}$/)])
    const events = await eventsOf(tenant.account.id, created.headers['x-request-id'] as string)
    expect(JSON.stringify(events)).not.toContain(created.json()[0].token)
    expect(events).toEqual(accessors.map((accessor) => expect.objectContaining({
      kind: 'host-factory-token.created',
      accountId: tenant.account.id,
      actor: expect.objectContaining({ kind: 'user', name: tenant.admin.user.name }),
      object: { type: 'host-factory-token', id: accessor },
      details: { hostFactory: hfId(tenant, factory), expiration: '2050-12-31T00:00:00Z' }
    })))
  })

  it('records admin changes without the password or API key', async () => {
    const tenant = await tenantSession(t.app, ['admin'])
    const headers = { 'x-auth-token': tenant.token }
    const password = unique('secret-password')
    const created = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users`, headers, payload: { name: unique('bob'), password, roles: ['member'] } })
    expect(created.statusCode).toBe(201)
    const userId = created.json().id
    const rotated = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users/${userId}/api-key`, headers })
    expect(rotated.statusCode).toBe(200)
    const granted = await t.app.inject({ method: 'PUT', url: `/admin/v1/accounts/${tenant.account.id}/users/${userId}/roles/auditor`, headers })
    expect(granted.statusCode).toBe(204)
    const deleted = await t.app.inject({ method: 'DELETE', url: `/admin/v1/accounts/${tenant.account.id}/users/${userId}`, headers })
    expect(deleted.statusCode).toBe(204)

    const actor = { kind: 'user', id: tenant.user.user.id, name: tenant.user.user.name }
    expect((await eventsOf(tenant.account.id, created.headers['x-request-id'] as string))[0]).toMatchObject({ kind: 'user.created', actor, object: { type: 'user', id: userId }, details: { password: 'set', roles: ['member'] } })
    expect((await eventsOf(tenant.account.id, rotated.headers['x-request-id'] as string))[0]).toMatchObject({ kind: 'api-key.rotated', actor, object: { type: 'api-key', id: rotated.json().accessor }, details: { userId } })
    expect((await eventsOf(tenant.account.id, granted.headers['x-request-id'] as string))[0]).toMatchObject({ kind: 'role.granted', details: { role: 'auditor' } })
    expect((await eventsOf(tenant.account.id, deleted.headers['x-request-id'] as string))[0]).toMatchObject({ kind: 'user.deleted', object: { type: 'user', id: userId } })
    const trail = JSON.stringify(await events(tenant.account.id, {}))
    expect(trail).not.toContain(password)
    expect(trail).not.toContain(created.json().apiKey)
    expect(trail).not.toContain(rotated.json().apiKey)
  })

  it('explains each refusal under the request id the client saw, while the client gets the generic answer', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
    const session = await login(t.app, { username: user.name, password, tenantId: account.id })

    const wrongPassword = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password: 'not-the-password' } } } })
    expect(wrongPassword.statusCode).toBe(401)
    expect(wrongPassword.json()).toEqual(KEYSTONE_401)

    const forbidden = await t.app.inject({ url: `/admin/v1/accounts/${account.id}/users`, headers: { 'x-auth-token': session.token } })
    expect(forbidden.statusCode).toBe(403)

    expect((await t.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': superToken } })).statusCode).toBe(204)
    const revoked = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json()).toEqual(KEYSTONE_401)

    // A refused credential did not authenticate the actor; a refused request of a valid session names it.
    const actor = { kind: 'user', id: user.id, name: user.name, credential: null }
    const sessionActor = { ...actor, credential: session.access.token.audit_ids[0] }
    expect(await eventsOf(account.id, wrongPassword.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'wrong-password', actor, details: expect.objectContaining({ login: user.name, statusCode: 401 }) })])
    expect(await eventsOf(account.id, forbidden.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authorization.denied', reason: 'missing-privilege', actor: sessionActor, details: expect.objectContaining({ route: '/admin/v1/accounts/:accountId/users', statusCode: 403 }) })])
    expect(await eventsOf(account.id, revoked.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'revoked', actor })])
    expect(JSON.stringify(await events(account.id, {}))).not.toContain(session.token)
  })

  it('explains a refused Astra token: revoked, its user disabled, or unknown', async () => {
    const caller = await astra.newCaller(t.app, ['admin'])
    const tokens = astra.collectionPath(caller.accountId, caller.userId)
    const revokedToken = await astra.createToken(t.app, caller)
    const disabledToken = await astra.createToken(t.app, caller)
    expect((await astra.call(t.app, caller.token, 'DELETE', astra.tokenPath(caller.accountId, caller.userId, revokedToken.id))).statusCode).toBe(204)
    const revoked = await astra.call(t.app, revokedToken.token, 'GET', tokens)
    astra.expectProblem(revoked, 4)
    const unknown = await astra.call(t.app, 'A'.repeat(43) + '=', 'GET', tokens)
    astra.expectProblem(unknown, 4)
    await t.app.db.updateTable('users').set({ enabled: false }).where('id', '=', caller.userId).execute()
    const disabled = await astra.call(t.app, disabledToken.token, 'GET', tokens)
    astra.expectProblem(disabled, 4)

    const actor = { kind: 'user', id: caller.userId, name: caller.user.user.name, credential: null }
    expect(await eventsOf(caller.accountId, revoked.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'revoked', actor, object: { type: 'astra-token', id: revokedToken.id } })])
    expect(await eventsOf(caller.accountId, disabled.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'disabled', actor, object: { type: 'astra-token', id: disabledToken.id } })])
    expect(await eventsOf(t.config.admin.account, unknown.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ accountId: null, reason: 'unknown', actor: { kind: 'anonymous', id: null, name: null, credential: null } })])
  })

  it('writes nothing for a request whose credential validates, refused or not elsewhere', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
    const session = await login(t.app, { username: user.name, password, tenantId: account.id })
    const accepted = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    expect(accepted.statusCode).toBe(200)
    expect(await eventsOf(account.id, accepted.headers['x-request-id'] as string)).toEqual([])
  })

  it('keeps refusals of credentials naming no account for the super-admin, under the administrators\' account', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
    const admin = await login(t.app, { username: user.name, password, tenantId: account.id })
    const unknown = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': 'f'.repeat(64) } })
    expect(unknown.statusCode).toBe(401)
    const requestId = unknown.headers['x-request-id'] as string
    expect(await eventsOf(t.config.admin.account, requestId)).toEqual([expect.objectContaining({ accountId: null, reason: 'unknown', actor: { kind: 'anonymous', id: null, name: null, credential: null } })])
    expect((await events(account.id, { requestId }, admin.token)).items).toEqual([])
  })

  it('walks an account\'s events in keyset pages, filtered by kind and time; another account\'s admin gets nothing', async () => {
    const tenant = await tenantSession(t.app, ['admin'])
    const since = new Date().toISOString()
    for (let i = 0; i < 3; i++) await insertUser(t.app.db, { accountId: tenant.account.id }).then(({ user }) => t.app.inject({ method: 'DELETE', url: `/admin/v1/accounts/${tenant.account.id}/users/${user.id}`, headers: { 'x-auth-token': tenant.token } }))
    const first = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?kind=user.deleted&limit=2&since=${since}`, headers: { 'x-auth-token': tenant.token } })
    expect(first.statusCode).toBe(200)
    const page = first.json()
    expect(page.items.map((event: { kind: string }) => event.kind)).toEqual(['user.deleted', 'user.deleted'])
    expect(page.nextCursor).toBe(page.items[1].id)
    expect(first.headers.link).toContain(`after=${page.nextCursor}`)
    const rest = await events(tenant.account.id, { kind: 'user.deleted', limit: '2', after: page.nextCursor, since }, tenant.token)
    expect(rest.items).toHaveLength(1)
    expect(rest.nextCursor).toBeNull()
    expect(Number(rest.items[0].id)).toBeGreaterThan(Number(page.nextCursor))
    expect((await events(tenant.account.id, { kind: 'user.deleted', until: since }, tenant.token)).items).toEqual([])

    const other = await tenantSession(t.app, ['admin'])
    const refused = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events`, headers: { 'x-auth-token': other.token } })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual({ statusCode: 403, code: 'TESSERA_FORBIDDEN', message: 'You are not authorized to perform the requested action.' })
    expect(refused.body).not.toContain('"items"')
    const badCursor = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?after=x`, headers: { 'x-auth-token': tenant.token } })
    expect(badCursor.statusCode).toBe(400)
    expect(badCursor.json()).toMatchObject({ statusCode: 400 })
  })

  it('reads since and until as RFC 3339: a leap second is the next instant; what names no instant, or one outside the years 1 to 9999, is a 400', async () => {
    const tenant = await tenantSession(t.app, ['admin'])
    const query = (bounds: string) => t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?kind=session.issued&${bounds}`, headers: { 'x-auth-token': tenant.token } })
    // The tenant's one session was issued just now.
    const accepted: Array<[string, number]> = [
      ['since=2016-12-31T23:59:60Z', 1], ['until=2016-12-31T23:59:60Z', 0], ['since=2016-12-31T22:59:60-01:00', 1], ['since=2016-12-31t23:59:60z', 1],
      ['since=0001-01-01T00:00:00Z', 1], ['until=9999-12-31T23:59:59.999999999Z', 1], ['until=9999-12-31T23:59:59%2B23:59', 1]
    ]
    for (const [bounds, count] of accepted) {
      const response = await query(bounds)
      expect(response.statusCode, bounds).toBe(200)
      expect(response.json().items, bounds).toHaveLength(count)
    }
    const refused: Array<[string, string]> = [
      ['since=2016-12-31T23:59:60%2B01:00', 'since'], ['since=2024-02-30T00:00:00Z', 'since'], ['until=2024-01-01T24:00:00Z', 'until'],
      ['until=2024-01-01T00:00:00%2B24:00', 'until'], ['since=2023-02-29T12:00:00Z', 'since'], ['since=2024-01-01T00:00:00%2B0100', 'since'],
      // Outside the years 1 to 9999 UTC, which the database stores on every driver.
      ['since=0000-01-01T00:00:00Z', 'since'], ['since=0001-01-01T00:00:00%2B00:01', 'since'], ['until=9999-12-31T23:59:59-00:01', 'until']
    ]
    for (const [bounds, name] of refused) {
      const response = await query(bounds)
      expect(response.statusCode, bounds).toBe(400)
      expect(response.json(), bounds).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: `querystring/${name} must match format "date-time"` })
    }
  })
})
