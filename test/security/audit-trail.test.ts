import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { insertTenantUser, login, unique } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { tracedApp, type TracedApp } from '../helpers/traced-app.js'
import { createHost, createHostFactory, createTokens, FUTURE, grant, hfId, newTenant, newTokens, userHeader } from '../families/conjur/helpers.js'

/**
 * The audit trail cannot be erased or polluted from outside: what a client sends cannot make
 * other refusals unwritable, a name that names nobody (a password typed in the wrong field) is
 * kept only as a keyed fingerprint, and every login, refused or not, is on the trail. The app
 * logs everything (trace): what it writes to the log is read too.
 */
let traced: TracedApp
let app: App
beforeAll(async () => {
  traced = await tracedApp()
  app = traced.app
})
afterAll(() => traced?.close())

async function eventsOf (requestId: string) {
  await app.auditQueue.flush()
  return app.db.selectFrom('audit_events').select(['kind', 'account_id', 'actor_kind', 'actor_id', 'reason', 'details']).where('request_id', '=', requestId).execute()
}

const keystoneLogin = (username: string, password: string) => app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username, password } } } })
const basic = (login: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}` })

describe('refusals queued with a hostile one', () => {
  it('neither a lone surrogate nor an over-long name erases the refusals written with it', async () => {
    const { account } = await insertTenantUser(app.db)
    const droppedBefore = await app.db.selectFrom('audit_events').select('id').where('kind', '=', 'denials.dropped').execute()
    const before = await keystoneLogin(unique('nobody'), 'x')
    // Sent as JSON text: `\udfff` is an escape JSON allows and PostgreSQL's jsonb refuses. Refused at the edge.
    const surrogate = await app.inject({ method: 'POST', url: '/v2.0/tokens', headers: { 'content-type': 'application/json' }, payload: '{"auth":{"passwordCredentials":{"username":"\\udfff","password":"x"}}}' })
    expect(surrogate.statusCode).toBe(400)
    expect(surrogate.json()).toMatchObject({ error: { code: 400, title: 'Bad Request' } })
    // A host name longer than any column: its refusal, in the same batch, must not take the others down.
    const longName = await app.inject({ url: `/authn/${account.name}/login`, headers: basic(`host/${'h'.repeat(400)}`, 'key') })
    expect(longName.statusCode).toBe(401)
    const after = await keystoneLogin(unique('nobody'), 'x')
    for (const reply of [before, longName, after]) {
      expect(await eventsOf(reply.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authentication.denied' })])
    }
    expect(await app.db.selectFrom('audit_events').select('id').where('kind', '=', 'denials.dropped').execute()).toEqual(droppedBefore)
  })
})

describe('a login name that names nobody', () => {
  const typedPassword = () => unique('Tr0ub4dor&3')

  it('is kept as a keyed fingerprint in the trail and the log, never as typed (Keystone)', async () => {
    const name = typedPassword()
    const first = await keystoneLogin(name, 'x')
    const second = await keystoneLogin(name, 'y')
    expect(first.statusCode).toBe(401)
    const [a] = await eventsOf(first.headers['x-request-id'] as string)
    const [b] = await eventsOf(second.headers['x-request-id'] as string)
    expect(a).toMatchObject({ reason: 'unknown-user', details: { loginFingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } })
    expect(a!.details).not.toHaveProperty('login')
    // The same name, the same fingerprint: refusals still group by it.
    expect((b!.details as Record<string, unknown>).loginFingerprint).toBe((a!.details as Record<string, unknown>).loginFingerprint)
    expect(JSON.stringify(await app.db.selectFrom('audit_events').selectAll().execute())).not.toContain(name)
    expect(traced.log()).not.toContain(name)
  })

  it('is kept as a fingerprint by Conjur too, on a known account and on an unknown one', async () => {
    const { account } = await insertTenantUser(app.db)
    const name = typedPassword()
    const known = await app.inject({ url: `/authn/${account.name}/login`, headers: basic(name, 'x') })
    const unknown = await app.inject({ method: 'POST', url: `/authn/${unique('no-account')}/${encodeURIComponent(name)}/authenticate`, payload: 'key' })
    expect(known.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    for (const reply of [known, unknown]) {
      const [event] = await eventsOf(reply.headers['x-request-id'] as string)
      expect(event).toMatchObject({ kind: 'authentication.denied', details: { loginFingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } })
    }
    expect(JSON.stringify(await app.db.selectFrom('audit_events').selectAll().execute())).not.toContain(name)
    expect(traced.log()).not.toContain(name)
  })

  it('a known user\'s refusal still names the user', async () => {
    const { user } = await insertTenantUser(app.db)
    const refused = await keystoneLogin(user.name, 'wrong')
    expect(await eventsOf(refused.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ reason: 'wrong-password', actor_id: user.id, details: expect.objectContaining({ login: user.name }) })])
  })
})

describe('successful Conjur logins and authentications', () => {
  it('are audit events of the user, in their account', async () => {
    const { account, user, password, apiKey } = await insertTenantUser(app.db)
    const loggedIn = await app.inject({ url: `/authn/${account.name}/login`, headers: basic(user.name, password) })
    expect(loggedIn.statusCode).toBe(200)
    const authenticated = await app.inject({ method: 'POST', url: `/authn/${account.name}/${user.name}/authenticate`, payload: apiKey })
    expect(authenticated.statusCode).toBe(200)
    expect(await eventsOf(loggedIn.headers['x-request-id'] as string)).toEqual([{ kind: 'login.succeeded', account_id: account.id, actor_kind: 'user', actor_id: user.id, reason: null, details: { authenticator: 'authn', method: 'password' } }])
    expect(await eventsOf(authenticated.headers['x-request-id'] as string)).toEqual([{ kind: 'access-token.issued', account_id: account.id, actor_kind: 'user', actor_id: user.id, reason: null, details: { authenticator: 'authn', method: 'api-key' } }])
    // The API key itself is never recorded.
    expect(JSON.stringify(await app.db.selectFrom('audit_events').selectAll().execute())).not.toContain(apiKey)
  })
})

describe('a refusal of an unscoped session', () => {
  it('is filed under the user\'s own account, whose admin can explain it by request id', async () => {
    const { account, user, password } = await insertTenantUser(app.db, ['admin'])
    const unscoped = await login(app, { username: user.name, password })
    const refused = await app.inject({ url: `/v1.0/${account.id}/agent_tokens`, headers: { 'x-auth-token': unscoped.token } })
    expect(refused.statusCode).toBe(403)
    expect(await eventsOf(refused.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ kind: 'authorization.denied', account_id: account.id, actor_id: user.id })])
    const admin = await login(app, { username: user.name, password, tenantId: account.id })
    const trail = await app.inject({ url: `/admin/v1/accounts/${account.id}/audit-events?requestId=${refused.headers['x-request-id']}`, headers: { 'x-auth-token': admin.token } })
    expect(trail.statusCode).toBe(200)
    expect(trail.json().items).toEqual([expect.objectContaining({ kind: 'authorization.denied', requestId: refused.headers['x-request-id'] })])
  })
})

describe('text longer than its column', () => {
  it('a host whose id is as long as ids go (255) has its logins and its changes recorded, its name cut to fit', async () => {
    const tenant = await newTenant(app)
    const factory = await createHostFactory(app, tenant)
    const [token] = await newTokens(app, await userHeader(app, tenant, tenant.admin), { host_factory: hfId(tenant, factory) })
    const hostId = `h${'x'.repeat(254)}`
    const enrolled = await createHost(app, token!.token, { id: hostId })
    expect(enrolled.statusCode).toBe(201)
    await grant(app, tenant, factory, `${tenant.account.name}:host:${hostId}`, 'execute')

    const authenticated = await app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/${encodeURIComponent(`host/${hostId}`)}/authenticate`, headers: { 'accept-encoding': 'base64' }, payload: enrolled.json().api_key })
    expect(authenticated.statusCode).toBe(200)
    const [issued] = await eventsOf(authenticated.headers['x-request-id'] as string)
    expect(issued).toMatchObject({ kind: 'access-token.issued', actor_kind: 'host', actor_id: hostId })

    const created = await createTokens(app, `Token token="${authenticated.body}"`, { host_factory: hfId(tenant, factory), expiration: FUTURE })
    expect(created.statusCode).toBe(200)
    const [made] = await eventsOf(created.headers['x-request-id'] as string)
    expect(made).toMatchObject({ kind: 'host-factory-token.created', actor_id: hostId })
    const names = await app.db.selectFrom('audit_events').select('actor_name').where('actor_id', '=', hostId).execute()
    expect(names.map((row) => row.actor_name)).toEqual([`host/${hostId}`.slice(0, 255), `host/${hostId}`.slice(0, 255)])
  })

  it('an unknown host id of any length is refused on the trail, as a fingerprint', async () => {
    const tenant = await newTenant(app)
    const name = `host/${'y'.repeat(300)}`
    const refused = await app.inject({ url: `/authn/${tenant.account.name}/login`, headers: basic(name, 'key') })
    expect(refused.statusCode).toBe(401)
    expect(await eventsOf(refused.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ reason: 'unknown-host', actor_id: null, details: expect.objectContaining({ loginFingerprint: expect.any(String) }) })])
  })
})

describe('behind TRUST_PROXY, an X-Forwarded-For that is no address', () => {
  let proxied: TestApp
  beforeAll(async () => { proxied = await setupTestApp({ env: { TRUST_PROXY: 'true' } }) })
  afterAll(() => proxied?.close())

  it('is recorded as no address, and neither the login nor its refusal is lost', async () => {
    const { user, password } = await insertTenantUser(proxied.app.db)
    const headers = { 'x-forwarded-for': `not-an-address-${'z'.repeat(80)}` }
    const accepted = await proxied.app.inject({ method: 'POST', url: '/v2.0/tokens', headers, payload: { auth: { passwordCredentials: { username: user.name, password } } } })
    expect(accepted.statusCode).toBe(200)
    const refused = await proxied.app.inject({ method: 'POST', url: '/v2.0/tokens', headers, payload: { auth: { passwordCredentials: { username: user.name, password: 'wrong' } } } })
    expect(refused.statusCode).toBe(401)
    await proxied.app.auditQueue.flush()
    const rows = await proxied.app.db.selectFrom('audit_events').select(['kind', 'client_ip']).where('request_id', 'in', [accepted.headers['x-request-id'] as string, refused.headers['x-request-id'] as string]).orderBy('id').execute()
    expect(rows).toEqual([{ kind: 'session.issued', client_ip: null }, { kind: 'authentication.denied', client_ip: null }])
  })
})
