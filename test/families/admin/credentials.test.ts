import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUser, login, tenantSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import * as astra from '../astra/helpers.js'
import { accessHeader, createHost, createHostFactory, createTokens, FUTURE, hfId, newTenant, userHeader, type Tenant } from '../conjur/helpers.js'

const NOT_FOUND = (accessor: string) => ({ code: 'TESSERA_NOT_FOUND', message: `no credential ${accessor} in this account`, statusCode: 404 })
const HEX_ACCESSOR = (prefix: string) => new RegExp(`^${prefix}_[0-9a-f]{32}$`)

describe('credentials by accessor (GET/DELETE /admin/v1/accounts/{accountId}/credentials/{accessor})', () => {
  let t: TestApp
  let tenant: Tenant

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
  })
  afterAll(() => t?.close())

  // Astra's paths take UUID account ids only: its tests use an account of their own, with its admin.
  let astraAdmin: astra.Caller
  const astraAccount = () => astraAdmin.accountId
  beforeAll(async () => { astraAdmin = await astra.newCaller(t.app, ['admin']) })

  const adminHeaders = (accountId = tenant.account.id) => ({ 'x-auth-token': accountId === tenant.account.id ? tenant.adminToken : astraAdmin.token })
  const credentialUrl = (accessor: string, accountId = tenant.account.id) => `/admin/v1/accounts/${accountId}/credentials/${accessor}`
  const lookUp = (accessor: string, headers: Record<string, string> = adminHeaders(), accountId = tenant.account.id) => t.app.inject({ method: 'GET', url: credentialUrl(accessor, accountId), headers })
  const revoke = (accessor: string, headers: Record<string, string> = adminHeaders(), accountId = tenant.account.id) => t.app.inject({ method: 'DELETE', url: credentialUrl(accessor, accountId), headers })

  async function eventsOf (accessor: string, accountId = tenant.account.id): Promise<Array<{ kind: string, object: unknown, actor: { credential: string | null } }>> {
    const response = await t.app.inject({ method: 'GET', url: `/admin/v1/accounts/${accountId}/audit-events?accessor=${accessor}`, headers: adminHeaders(accountId) })
    expect(response.statusCode, response.body).toBe(200)
    return response.json().items
  }

  /** Looks the credential up, revokes it (204), and checks both are in its trail with nothing secret. */
  async function expectLifecycle (accessor: string, expected: Record<string, unknown>, secret: string, accountId = tenant.account.id): Promise<void> {
    const found = await lookUp(accessor, adminHeaders(accountId), accountId)
    expect(found.statusCode, found.body).toBe(200)
    expect(found.json()).toEqual({
      accessor,
      accountId,
      createdAt: expect.any(String),
      expiresAt: null,
      endedAt: null,
      lastUsedAt: null,
      useCount: 0,
      name: null,
      createdBy: null,
      ...expected
    })
    expect(found.body).not.toContain(secret)
    const revoked = await revoke(accessor, adminHeaders(accountId), accountId)
    expect(revoked.statusCode, revoked.body).toBe(204)
    expect(revoked.body).toBe('')
    const events = await eventsOf(accessor, accountId)
    expect(events.at(-1)).toEqual(expect.objectContaining({ kind: 'credential.revoked', object: { type: expected.kind, id: accessor } }))
    expect(JSON.stringify(events)).not.toContain(secret)
  }

  it('a session: its audit id, which the login shows; revoked, its token is refused', async () => {
    const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: tenant.account.id })
    const accessor = session.access.token.audit_ids[0]
    const tenants = () => t.app.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    expect((await tenants()).statusCode).toBe(200)
    await expectLifecycle(accessor, { kind: 'session', owner: { type: 'user', id: user.user.id }, createdBy: user.user.id, expiresAt: new Date(session.access.token.expires).toISOString() }, session.token)
    expect((await tenants()).statusCode).toBe(401)
    expect((await eventsOf(accessor)).map((event) => event.kind)).toEqual(['session.issued', 'credential.revoked'])
  })

  it('a user\'s API key: shown with the key when it is made or rotated; revoked, a Rackspace API-key login fails', async () => {
    const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    expect(user.apiKeyAccessor).toMatch(HEX_ACCESSOR('uak'))
    const rotated = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users/${user.user.id}/api-key`, headers: adminHeaders() })
    expect(rotated.statusCode, rotated.body).toBe(200)
    const { apiKey, accessor } = rotated.json()
    expect(accessor).toMatch(HEX_ACCESSOR('uak'))
    expect(accessor).not.toBe(user.apiKeyAccessor)
    // The old key's accessor names nothing now.
    expect((await lookUp(user.apiKeyAccessor)).json()).toEqual(NOT_FOUND(user.apiKeyAccessor))
    const keyLogin = () => t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.user.name, apiKey } } } })
    expect((await keyLogin()).statusCode).toBe(200)
    await t.app.credentialUsage.flush()
    const used = (await lookUp(accessor)).json()
    expect(used).toEqual(expect.objectContaining({ useCount: 1, lastUsedAt: expect.any(String) }))
    await expectLifecycle(accessor, { kind: 'api-key', owner: { type: 'user', id: user.user.id }, createdBy: user.user.id, lastUsedAt: used.lastUsedAt, useCount: 1 }, apiKey)
    expect((await keyLogin()).statusCode).toBe(401)
    // Its trail: rotated, the session it opened (actor.credential), revoked.
    expect((await eventsOf(accessor)).map((event) => event.kind)).toEqual(['api-key.rotated', 'session.issued', 'credential.revoked'])
  })

  it('an agent token: in a header of the create reply and in its JSON; revoked, it is gone', async () => {
    const url = `/v1.0/${tenant.account.id}/agent_tokens`
    const created = await t.app.inject({ method: 'POST', url, headers: adminHeaders(), payload: { label: 'web01' } })
    expect(created.statusCode, created.body).toBe(201)
    const accessor = created.headers['tessera-credential-accessor'] as string
    expect(accessor).toMatch(HEX_ACCESSOR('agt'))
    const id = created.headers['x-object-id'] as string
    const shown = await t.app.inject({ method: 'GET', url: `${url}/${id}`, headers: adminHeaders() })
    expect(shown.json()).toEqual({ id, token: id, label: 'web01', accessor })
    const listed = await t.app.inject({ method: 'GET', url, headers: adminHeaders() })
    expect(listed.json().values).toContainEqual({ id, token: id, label: 'web01', accessor })
    await expectLifecycle(accessor, { kind: 'agent-token', owner: { type: 'account', id: tenant.account.id }, createdBy: tenant.admin.user.id, name: 'web01' }, id)
    const gone = await t.app.inject({ method: 'GET', url: `${url}/${id}`, headers: adminHeaders() })
    expect(gone.statusCode).toBe(404)
    expect((await eventsOf(accessor)).map((event) => event.kind)).toEqual(['agent-token.created', 'credential.revoked'])
  })

  it('an Astra token: its id; revoked, Astra refuses its bearer value', async () => {
    const caller = await astra.callerOn(t.app, astraAccount())
    const token = await astra.createToken(t.app, caller, 'ci')
    const probe = () => astra.call(t.app, token.token, 'GET', astra.collectionPath(caller.accountId, caller.userId))
    expect((await probe()).statusCode).toBe(200)
    await t.app.credentialUsage.flush()
    const used = (await lookUp(token.id, adminHeaders(astraAccount()), astraAccount())).json()
    expect(used).toEqual(expect.objectContaining({ useCount: 1 }))
    await expectLifecycle(token.id, { kind: 'astra-token', owner: { type: 'user', id: caller.userId }, createdBy: caller.userId, name: 'ci', lastUsedAt: used.lastUsedAt, useCount: 1 }, token.token, astraAccount())
    expect((await probe()).statusCode).toBe(401)
    const ended = (await lookUp(token.id, adminHeaders(astraAccount()), astraAccount())).json()
    expect(ended.endedAt).toEqual(expect.any(String))
    // Ending it again changes nothing and records nothing.
    expect((await revoke(token.id, adminHeaders(astraAccount()), astraAccount())).statusCode).toBe(204)
    expect((await eventsOf(token.id, astraAccount())).map((event) => event.kind)).toEqual(['astra-token.created', 'credential.revoked'])
  })

  it('a host factory token and a host API key: in a header beside Conjur\'s body; revoked, Conjur refuses them', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const created = await createTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory), expiration: FUTURE })
    expect(created.statusCode, created.body).toBe(200)
    expect(Object.keys(created.json()[0])).toEqual(['expiration', 'cidr', 'token'])
    const tokenAccessor = created.headers['tessera-credential-accessor'] as string
    expect(tokenAccessor).toMatch(HEX_ACCESSOR('hft'))
    const { token } = created.json()[0]

    const hostId = unique('host')
    const enrolled = await createHost(t.app, token, { id: hostId })
    expect(enrolled.statusCode, enrolled.body).toBe(201)
    const keyAccessor = enrolled.headers['tessera-credential-accessor'] as string
    expect(keyAccessor).toMatch(HEX_ACCESSOR('hak'))
    // The enrolment was done with the token: its trail shows it, by the actor's credential.
    const tokenEvents = await eventsOf(tokenAccessor)
    expect(tokenEvents.map((event) => event.kind)).toEqual(['host-factory-token.created', 'host.enrolled'])
    expect(tokenEvents[1]!.actor.credential).toBe(tokenAccessor)

    const hostKey = enrolled.json().api_key
    await accessHeader(t.app, tenant.account.name, `host/${hostId}`, hostKey)
    await t.app.credentialUsage.flush()
    const usedKey = (await lookUp(keyAccessor)).json()
    expect(usedKey.useCount).toBe(1)
    await expectLifecycle(keyAccessor, { kind: 'host-api-key', owner: { type: 'host', id: hostId }, lastUsedAt: usedKey.lastUsedAt, useCount: 1 }, hostKey)
    // The key nobody holds that replaced it is ended from the start: no report calls it unused.
    const replacement = (await t.app.db.selectFrom('hosts').select('api_key_accessor').where('id', '=', hostId).executeTakeFirstOrThrow()).api_key_accessor
    expect(replacement).not.toBe(keyAccessor)
    expect((await lookUp(replacement)).json()).toEqual(expect.objectContaining({ kind: 'host-api-key', endedAt: expect.any(String) }))
    const refusedHost = await t.app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/${encodeURIComponent(`host/${hostId}`)}/authenticate`, payload: hostKey })
    expect(refusedHost.statusCode).toBe(401)

    const usedToken = (await lookUp(tokenAccessor)).json()
    expect(usedToken.useCount).toBe(1)
    await expectLifecycle(tokenAccessor, {
      kind: 'host-factory-token', owner: { type: 'host-factory', id: factory }, createdBy: tenant.admin.user.id, expiresAt: '2050-12-31T00:00:00.000Z', lastUsedAt: usedToken.lastUsedAt, useCount: 1
    }, token)
    expect((await createHost(t.app, token, { id: unique('host') })).statusCode).toBe(401)
  })

  describe('who may reach a credential', () => {
    it('its holder (without the admin role) sees and ends their own; anyone else\'s is an unknown accessor', async () => {
      const member = await astra.callerOn(t.app, astraAccount())
      const other = await astra.callerOn(t.app, astraAccount())
      const mine = await astra.createToken(t.app, member)
      const theirs = await astra.createToken(t.app, other)
      const headers = { 'x-auth-token': member.token }
      expect((await lookUp(mine.id, headers, astraAccount())).statusCode).toBe(200)
      const hidden = await lookUp(theirs.id, headers, astraAccount())
      expect(hidden.statusCode).toBe(404)
      expect(hidden.json()).toEqual(NOT_FOUND(theirs.id))
      const unknown = 'agt_00000000000000000000000000000000'
      expect((await lookUp(unknown, headers, astraAccount())).json()).toEqual(NOT_FOUND(unknown))
      expect((await revoke(theirs.id, headers, astraAccount())).statusCode).toBe(404)
      expect((await revoke(mine.id, headers, astraAccount())).statusCode).toBe(204)
      expect((await lookUp(theirs.id, adminHeaders(astraAccount()), astraAccount())).json().endedAt).toBeNull()
      expect((await lookUp(mine.id, adminHeaders(astraAccount()), astraAccount())).json().endedAt).toEqual(expect.any(String))
    })

    it('an admin of another account sees nothing here; an account admin may not end the API key of a user with roles elsewhere', async () => {
      const stranger = await tenantSession(t.app, ['admin'])
      const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
      expect((await lookUp(user.apiKeyAccessor, { 'x-auth-token': stranger.token })).statusCode).toBe(404)
      const grant = await t.app.inject({ method: 'PUT', url: `/admin/v1/accounts/${stranger.account.id}/users/${user.user.id}/roles/member`, headers: { 'x-auth-token': stranger.token } })
      expect([204, 403, 404]).toContain(grant.statusCode)
      // A user who holds a role on another account: only a super-admin may remove their key.
      await t.app.db.insertInto('role_assignments').values({ user_id: user.user.id, account_id: stranger.account.id, role: 'member' }).execute()
      const refused = await revoke(user.apiKeyAccessor)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual({ code: 'TESSERA_FORBIDDEN', message: 'You are not authorized to perform the requested action.', statusCode: 403 })
      // So does an unscoped session of theirs, which may be re-scoped to any of their accounts; a scoped one is this account's.
      const unscoped = await login(t.app, { username: user.user.name, password: user.password })
      expect(unscoped.access.token.tenant).toBeUndefined()
      const refusedSession = await revoke(unscoped.access.token.audit_ids[0])
      expect(refusedSession.statusCode).toBe(403)
      const scoped = await login(t.app, { username: user.user.name, password: user.password, tenantId: tenant.account.id })
      expect((await revoke(scoped.access.token.audit_ids[0])).statusCode).toBe(204)
    })

    it('answers 401 without a credential and 400 for an accessor no credential can have', async () => {
      const anonymous = await t.app.inject({ method: 'GET', url: credentialUrl('agt_00000000000000000000000000000000') })
      expect(anonymous.statusCode).toBe(401)
      expect(anonymous.json()).toEqual({ code: 'TESSERA_UNAUTHENTICATED', message: 'The request you have made requires authentication.', statusCode: 401 })
      for (const bad of ['a%00b', 'x'.repeat(65), 'a%20b', '%F0%9F%98%80']) {
        const response: LightMyRequestResponse = await t.app.inject({ method: 'GET', url: credentialUrl(bad), headers: adminHeaders() })
        expect(response.statusCode, bad).toBe(400)
        expect(response.json()).toEqual({ code: 'TESSERA_INVALID_INPUT', message: expect.stringContaining('params/accessor'), statusCode: 400 })
      }
    })
  })

  it('the kill switch\'s dry run names what would end, by kind and accessor', async () => {
    const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['admin'] })
    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: tenant.account.id })
    const agent = await t.app.inject({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': session.token }, payload: {} })
    expect(agent.statusCode).toBe(201)
    const dryRun = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users/${user.user.id}/revoke-credentials?dryRun=true`, headers: adminHeaders() })
    expect(dryRun.statusCode, dryRun.body).toBe(200)
    expect(dryRun.json()).toEqual(expect.objectContaining({ dryRun: true, sessions: 1, agentTokens: 1 }))
    expect(dryRun.json().credentials).toEqual([
      { kind: 'agent-token', accessor: agent.headers['tessera-credential-accessor'] },
      { kind: 'api-key', accessor: user.apiKeyAccessor },
      { kind: 'session', accessor: session.access.token.audit_ids[0] }
    ])
  })
})
