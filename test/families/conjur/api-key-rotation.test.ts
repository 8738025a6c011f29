import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grantRole } from '../../../src/db/repositories/role-assignments.js'
import { insertAccount } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  accessHeader, CONJUR_SECRET, createHost, createHostFactory, expectArgumentError, expectEmpty, expectMiddleware, grant, hfId, newMember, newTenant, newTokens, userHeader, type Tenant
} from './helpers.js'
import type { App } from '../../../src/app.js'

/**
 * PUT /authn/{account}/api_key as the SDKs send it: conjur-api-ruby's `API.rotate_api_key(username,
 * password)` and conjur-api-python's `rotate_personal_api_key` (HTTP Basic, no role), Ruby's
 * `user.rotate_api_key` (`?role=<account>:user:<id>`, unescaped) and Python's
 * `rotate_other_api_key` (`?role=<kind>%3A<id>`), both with `Token token="<base64>"`.
 */
describe('PUT /authn/{account}/api_key (Conjur credentials#rotate_api_key)', () => {
  let t: TestApp
  let tenant: Tenant
  let account: string
  let adminHeader: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    account = tenant.account.name
    adminHeader = await userHeader(t.app, tenant, tenant.admin)
  })
  afterAll(() => t?.close())

  const basic = (login: string, secret: string) => `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`

  function rotate (authorization: string | undefined, query = '', headers: Record<string, string> = {}, app: App = t.app) {
    return app.inject({ method: 'PUT', url: `/authn/${account}/api_key${query}`, headers: { ...(authorization ? { authorization } : {}), ...headers }, payload: '' })
  }

  /** GET /authn/{account}/login with HTTP Basic: the status, on the app given (a replica or this one). */
  async function loginStatus (login: string, secret: string, app: App = t.app): Promise<number> {
    return (await app.inject({ url: `/authn/${account}/login`, headers: { authorization: basic(login, secret) } })).statusCode
  }

  function expectNewKey (response: LightMyRequestResponse, old: string): string {
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain/)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.body).not.toBe(old)
    expect(response.body.length).toBeGreaterThan(30)
    return response.body
  }

  /** The metrics' count of host API keys issued (an enrolment or a rotation each). */
  async function issuedHostKeys (): Promise<number> {
    const text = (await t.app.inject({ url: '/metrics' })).body
    return Number(/^tessera_credentials_issued_total\{family="conjur",kind="host-api-key"\} (\d+)$/m.exec(text)?.[1] ?? 0)
  }

  async function eventOf (accessor: string) {
    return t.app.db.selectFrom('audit_events').select(['kind', 'account_id', 'actor_kind', 'actor_name', 'object_type', 'object_id', 'details'])
      .where('object_id', '=', accessor).executeTakeFirstOrThrow()
  }

  it('a user rotates its own key with its API key: the new one in text/plain, the old one refused at once on every replica, audited', async () => {
    const bob = await newMember(t.app, tenant)
    const replica = await t.replica()
    expect(await loginStatus(bob.user.name, bob.apiKey, replica)).toBe(200)
    const response = await rotate(basic(bob.user.name, bob.apiKey))
    const apiKey = expectNewKey(response, bob.apiKey)
    for (const app of [t.app, replica]) {
      expect(await loginStatus(bob.user.name, bob.apiKey, app)).toBe(401)
      expect((await app.inject({ method: 'POST', url: `/authn/${account}/${bob.user.name}/authenticate`, payload: bob.apiKey })).statusCode).toBe(401)
      const keystone = (key: string) => app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: bob.user.name, apiKey: key } } } })
      expect((await keystone(bob.apiKey)).statusCode).toBe(401)
      expect((await keystone(apiKey)).statusCode).toBe(200)
      expect(await loginStatus(bob.user.name, apiKey, app)).toBe(200)
    }
    expect((await t.app.inject({ url: `/authn/${account}/login`, headers: { authorization: basic(bob.user.name, apiKey) } })).body).toBe(apiKey)
    const accessor = String(response.headers['tessera-credential-accessor'])
    expect(accessor).toMatch(/^uak_[0-9a-f]{32}$/)
    expect(await eventOf(accessor)).toEqual({
      kind: 'api-key.rotated',
      account_id: tenant.account.id,
      actor_kind: 'user',
      actor_name: bob.user.name,
      object_type: 'api-key',
      object_id: accessor,
      details: { userId: bob.user.id, role: `${account}:user:${bob.user.name}` }
    })
  })

  it('with its password, and with role= naming itself (cucumber rotate_api_key.feature)', async () => {
    const bob = await newMember(t.app, tenant)
    const first = expectNewKey(await rotate(basic(bob.user.name, bob.password)), bob.apiKey)
    const second = expectNewKey(await rotate(basic(bob.user.name, bob.password), `?role=user:${bob.user.name}`), first)
    expect(await loginStatus(bob.user.name, first)).toBe(401)
    expect(await loginStatus(bob.user.name, second)).toBe(200)
  })

  it('a host rotates its own key with HTTP Basic; the old key no longer authenticates', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const [{ token }] = await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, factory) }) as [{ token: string }, ...unknown[]]
    const host = await createHost(t.app, token, { id: 'rotating-host' })
    const oldKey = host.json().api_key as string
    const issuedBefore = await issuedHostKeys()
    const response = await rotate(basic('host/rotating-host', oldKey), '?role=host:rotating-host')
    expect(await issuedHostKeys()).toBe(issuedBefore + 1)
    const apiKey = expectNewKey(response, oldKey)
    expect(apiKey).toMatch(CONJUR_SECRET)
    expect((await t.app.inject({ method: 'POST', url: `/authn/${account}/host%2Frotating-host/authenticate`, payload: oldKey })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'POST', url: `/authn/${account}/host%2Frotating-host/authenticate`, payload: apiKey })).statusCode).toBe(200)
    const accessor = String(response.headers['tessera-credential-accessor'])
    expect(accessor).toMatch(/^hak_[0-9a-f]{32}$/)
    expect(await eventOf(accessor)).toEqual(expect.objectContaining({
      kind: 'host-api-key.rotated', actor_kind: 'host', actor_name: 'host/rotating-host', object_type: 'host-api-key', details: { hostId: 'rotating-host', role: `${account}:host:rotating-host` }
    }))
  })

  it('an access token never rotates its own role\'s key: 401 that says why (empty under the v2 media type)', async () => {
    const bob = await newMember(t.app, tenant)
    const header = await userHeader(t.app, tenant, bob)
    for (const query of ['', `?role=user:${bob.user.name}`, `?role=${encodeURIComponent(`${account}:user:${bob.user.name}`)}`]) {
      const response = await rotate(header, query)
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual({ error: { code: 'unauthorized', message: 'Credential strength is insufficient' } })
    }
    expectEmpty(await rotate(header, '', { accept: 'application/x.secretsmgr.v2beta+json' }), 401)
    expect(await loginStatus(bob.user.name, bob.apiKey)).toBe(200)
  })

  it('an admin\'s access token rotates a user\'s and a host\'s key, as Ruby (full id) and Python (kind:id, escaped) send role=', async () => {
    const carol = await newMember(t.app, tenant)
    const ruby = expectNewKey(await rotate(adminHeader, `?role=${account}:user:${carol.user.name}`), carol.apiKey)
    expect(await loginStatus(carol.user.name, carol.apiKey)).toBe(401)
    const python = expectNewKey(await rotate(adminHeader, `?role=${encodeURIComponent(`user:${carol.user.name}`)}`), ruby)
    expect(await loginStatus(carol.user.name, ruby)).toBe(401)
    expect(await loginStatus(carol.user.name, python)).toBe(200)
    const factory = await createHostFactory(t.app, tenant)
    const [{ token }] = await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, factory) }) as [{ token: string }, ...unknown[]]
    const host = await createHost(t.app, token, { id: 'managed-host' })
    const response = await rotate(adminHeader, '?role=host%3Amanaged-host')
    const hostKey = expectNewKey(response, host.json().api_key)
    expect((await t.app.inject({ method: 'POST', url: `/authn/${account}/host%2Fmanaged-host/authenticate`, payload: hostKey })).statusCode).toBe(200)
    expect(await eventOf(String(response.headers['tessera-credential-accessor']))).toEqual(expect.objectContaining({ actor_kind: 'user', actor_name: tenant.admin.user.name }))
  })

  it('HTTP Basic never rotates another role\'s key, whatever it may do: an empty 401', async () => {
    const carol = await newMember(t.app, tenant)
    expectEmpty(await rotate(basic(tenant.admin.user.name, tenant.admin.apiKey), `?role=user:${carol.user.name}`), 401)
    expect(await loginStatus(carol.user.name, carol.apiKey)).toBe(200)
  })

  it('another role the caller cannot see is the same 404 as an unknown one, or one of another account; an unparseable role= a 422', async () => {
    const alice = await newMember(t.app, tenant)
    const bob = await newMember(t.app, tenant)
    const aliceHeader = await userHeader(t.app, tenant, alice)
    const aliceId = `${account}:user:${alice.user.name}`
    const invisible = await rotate(aliceHeader, `?role=user:${bob.user.name}`)
    expect(invisible.statusCode).toBe(404)
    expect(invisible.json()).toEqual({ error: { code: 'not_found', message: `CONJ00123E Resource '${account}:user:${bob.user.name}' requested by role '${aliceId}' not found` } })
    // Unlike Conjur, whose message names an unknown role as given and a hidden one by its full
    // id: the same text tells nothing of which exists.
    const unknown = await rotate(aliceHeader, '?role=user:does_not_exist')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ error: { code: 'not_found', message: `CONJ00123E Resource '${account}:user:does_not_exist' requested by role '${aliceId}' not found` } })
    // A role of another account, existing or not, and whatever account the URL names.
    const other = await newTenant(t.app)
    for (const [url, role] of [[account, `${other.account.name}:user:${other.admin.user.name}`], [account, 'nonexistent_account:user:x'], [other.account.name, `user:${other.admin.user.name}`]] as const) {
      const foreign = await t.app.inject({ method: 'PUT', url: `/authn/${url}/api_key?role=${encodeURIComponent(role)}`, headers: { authorization: aliceHeader } })
      expect(foreign.statusCode).toBe(404)
      const fullId = role.split(':').length === 3 ? role : `${url}:${role}`
      expect(foreign.json()).toEqual({ error: { code: 'not_found', message: `CONJ00123E Resource '${fullId}' requested by role '${aliceId}' not found` } })
    }
    // HTTP Basic rotates only its own key: any other role, of any account, existing or not, is the same empty 401 (Conjur looks it up first: 404 for an unknown one).
    for (const role of [`nonexistent_account:user:${alice.user.name}`, `${other.account.name}:user:${other.admin.user.name}`, `user:${bob.user.name}`, 'user:does_not_exist']) {
      const refused = await rotate(basic(alice.user.name, alice.apiKey), `?role=${encodeURIComponent(role)}`)
      expect(refused.statusCode).toBe(401)
      expect(refused.body).toBe('')
    }
    expectArgumentError(await rotate(aliceHeader, `?role=${bob.user.name}`), `Expected at least 2 tokens in ${bob.user.name}`)
    expectArgumentError(await rotate(aliceHeader, '?role='), 'Expected at least 2 tokens in ')
    expect(await loginStatus(bob.user.name, bob.apiKey)).toBe(200)
  })

  it('a layer or host factory has no key: 405 to whoever holds update only, an empty 403 to whoever may read it or may not update it', async () => {
    const factory = await createHostFactory(t.app, tenant, { layers: ['rotation-layer'] })
    const updater = await newMember(t.app, tenant)
    const reader = await newMember(t.app, tenant)
    const executor = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${account}:user:${updater.user.name}`, 'update')
    await grant(t.app, tenant, factory, `${account}:user:${reader.user.name}`, 'read')
    await grant(t.app, tenant, factory, `${account}:user:${reader.user.name}`, 'update')
    await grant(t.app, tenant, factory, `${account}:user:${executor.user.name}`, 'execute')
    const notApplicable = await rotate(await userHeader(t.app, tenant, updater), `?role=host_factory:${factory}`)
    expect(notApplicable.statusCode).toBe(405)
    expect(notApplicable.json()).toEqual({ error: { code: 'method_not_allowed', message: `CONJ00126E Role '${account}:host_factory:${factory}' is not applicable for key rotation` } })
    expectEmpty(await rotate(await userHeader(t.app, tenant, reader), `?role=host_factory:${factory}`), 403)
    expectEmpty(await rotate(await userHeader(t.app, tenant, executor), `?role=host_factory:${factory}`), 403)
    // The admin owns the layer, so may read it.
    expectEmpty(await rotate(adminHeader, '?role=layer:rotation-layer'), 403)
  })

  it('an admin may not take over a user who holds roles on another account (Tessera\'s rule, as its admin API\'s)', async () => {
    const dana = await newMember(t.app, tenant)
    const other = await insertAccount(t.app.db)
    await grantRole(t.app.db, { userId: dana.user.id, accountId: other.id, role: 'member' })
    expectEmpty(await rotate(adminHeader, `?role=user:${dana.user.name}`), 403)
    expect(await loginStatus(dana.user.name, dana.apiKey)).toBe(200)
    // Dana still rotates her own.
    expectNewKey(await rotate(basic(dana.user.name, dana.apiKey)), dana.apiKey)
  })

  it('no credential, a wrong one or an unusable token: 401 (empty from the controller, text/plain from the token check)', async () => {
    const erin = await newMember(t.app, tenant)
    expectEmpty(await rotate(undefined), 401)
    expectEmpty(await rotate(basic(erin.user.name, 'wrong')), 401)
    expectEmpty(await rotate(basic('nobody', 'wrong')), 401)
    expectMiddleware(await rotate('Token token="bm90IGpzb24="'), 401, 'Malformed authorization token')
    expect(await loginStatus(erin.user.name, erin.apiKey)).toBe(200)
    // A token whose user was deleted since: the credentials controller finds no role.
    const header = await accessHeader(t.app, account, erin.user.name, erin.apiKey)
    await t.app.db.deleteFrom('users').where('id', '=', erin.user.id).execute()
    expectEmpty(await rotate(header, `?role=user:${tenant.admin.user.name}`), 401)
  })
})
