import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  accessHeader, createHost, createHostFactory, expectEmpty, expectMiddleware, grant, hfId, newMember, newTenant, newTokens, notFoundBody, userHeader, type Tenant
} from './helpers.js'

/**
 * GET /resources/{account}[/{kind}], Conjur's resources#index, as the SDKs call it: conjur-api-ruby's
 * `resources(kind:, search:, limit:, offset:, count:)` puts the kind in the path and the rest in the
 * query (`count=true&limit=…`); conjur-api-python's `list()` sends `kind`, `search`, `limit`,
 * `offset` and `role` as query parameters of /resources/{account}.
 */
describe('GET /resources/{account}[/{kind}] (Conjur resources#index)', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await setupTestApp()
  })
  afterAll(() => t?.close())

  function list (authorization: string | undefined, path: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return t.app.inject({ url: `/resources/${path}`, headers: { ...(authorization ? { authorization } : {}), ...headers } })
  }

  function ids (response: LightMyRequestResponse): string[] {
    expect(response.statusCode, response.body).toBe(200)
    return response.json<Array<{ id: string }>>().map((resource) => resource.id)
  }

  function expectUnprocessable (response: LightMyRequestResponse, message: string): void {
    expect(response.statusCode, response.body).toBe(422)
    expect(response.json()).toEqual({ error: { code: 'unprocessable_entity', message } })
  }

  /** A tenant with a factory (layer db), a host it enrolled (annotated) and a member holding read on the factory. */
  async function world () {
    const tenant = await newTenant(t.app)
    const name = tenant.account.name
    const factory = await createHostFactory(t.app, tenant, { id: 'hf-db', layers: ['db'] })
    const admin = await userHeader(t.app, tenant, tenant.admin)
    const [token] = await newTokens(t.app, admin, { host_factory: hfId(tenant, factory) })
    const enrolled = await createHost(t.app, token!.token, 'id=web-01&annotations[purpose]=frontend&annotations[env]=prod')
    expect(enrolled.statusCode).toBe(201)
    const member = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${name}:user:${member.user.name}`, 'read')
    return { tenant, name, factory, admin, member, memberHeader: await userHeader(t.app, tenant, member), hostKey: enrolled.json().api_key as string }
  }

  it('an admin sees every host, host factory, layer and user of the account, ordered by resource id, in Conjur\'s shapes', async () => {
    const { tenant, name, admin, member } = await world()
    const response = await list(admin, name)
    expect(response.headers['cache-control']).toBe('no-store')
    const users = [tenant.admin.user.name, member.user.name].sort().map((user) => `${name}:user:${user}`)
    expect(ids(response)).toEqual([`${name}:host:web-01`, `${name}:host_factory:hf-db`, `${name}:layer:db`, ...users])
    const [host, factory, layer, user] = response.json()
    expect(host).toEqual({
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/),
      id: `${name}:host:web-01`,
      owner: `${name}:host_factory:hf-db`,
      permissions: [],
      annotations: [{ name: 'env', value: 'prod' }, { name: 'purpose', value: 'frontend' }],
      restricted_to: []
    })
    // A host factory shows as GET of one shows it: layers, permissions, tokens in clear.
    const shown = await list(admin, `${name}/host_factory/hf-db`)
    expect(factory).toEqual(shown.json())
    expect(factory.tokens).toHaveLength(1)
    expect(layer).toEqual({ created_at: expect.stringMatching(/\+00:00$/), id: `${name}:layer:db`, owner: null, permissions: [], annotations: [] })
    expect(Object.keys(user)).toEqual(['created_at', 'id', 'owner', 'permissions', 'annotations', 'restricted_to'])
    expect(await list(admin, `${name}?count=true`).then((r) => r.json())).toEqual({ count: 5 })
  })

  it('anyone else sees only the host factories it owns or holds a privilege on: absent from lists and counts', async () => {
    const { tenant, name, factory, memberHeader, hostKey } = await world()
    const hidden = await createHostFactory(t.app, tenant, { id: 'hf-hidden' })
    expect(ids(await list(memberHeader, name))).toEqual([hfId(tenant, factory)])
    expect((await list(memberHeader, `${name}?count=true`)).json()).toEqual({ count: 1 })
    for (const kind of ['host', 'layer', 'user']) {
      expect(ids(await list(memberHeader, `${name}/${kind}`))).toEqual([])
      expect((await list(memberHeader, `${name}/${kind}?count=true`)).json()).toEqual({ count: 0 })
    }
    expect(ids(await list(memberHeader, `${name}/host_factory?search=hidden`))).toEqual([])
    // The owner, and a host holding execute, see theirs.
    const owner = await newMember(t.app, tenant)
    const owned = await createHostFactory(t.app, tenant, { owner: `${name}:user:${owner.user.name}` })
    expect(ids(await list(await userHeader(t.app, tenant, owner), name))).toEqual([hfId(tenant, owned)])
    await grant(t.app, tenant, hidden, `${name}:host:web-01`, 'execute')
    const host = await accessHeader(t.app, name, 'host/web-01', hostKey)
    expect(ids(await list(host, name))).toEqual([hfId(tenant, hidden)])
  })

  it('kind from the path (winning over the query) or from the query; Conjur\'s other kinds list nothing; any other kind is no route', async () => {
    const { name, admin } = await world()
    expect(ids(await list(admin, `${name}/layer`))).toEqual([`${name}:layer:db`])
    expect(ids(await list(admin, `${name}?kind=host`))).toEqual([`${name}:host:web-01`])
    expect(ids(await list(admin, `${name}/layer?kind=host`))).toEqual([`${name}:layer:db`])
    expect(ids(await list(admin, `${name}/variable`))).toEqual([])
    expect(ids(await list(admin, `${name}?kind=secret`))).toEqual([])
    const noRoute = await list(admin, `${name}/secret`)
    expect(noRoute.statusCode).toBe(404)
    expect(noRoute.json()).toEqual({ error: { code: 'not_found', message: `No route for GET /resources/${name}/secret.` } })
  })

  it('limit and offset page through in id order (offset alone shows 10); count counts within them', async () => {
    const tenant = await newTenant(t.app)
    const name = tenant.account.name
    const made = []
    for (let index = 0; index < 12; index++) made.push(await createHostFactory(t.app, tenant, { id: `hf-${String(index).padStart(2, '0')}`, layers: [] }))
    const admin = await userHeader(t.app, tenant, tenant.admin)
    const all = made.map((id) => hfId(tenant, id))
    expect(ids(await list(admin, `${name}/host_factory`))).toEqual(all)
    expect(ids(await list(admin, `${name}/host_factory?limit=2&offset=3`))).toEqual(all.slice(3, 5))
    expect(ids(await list(admin, `${name}/host_factory?offset=1`))).toEqual(all.slice(1, 11))
    expect(ids(await list(admin, `${name}/host_factory?limit=1000&offset=11`))).toEqual(all.slice(11))
    expect(ids(await list(admin, `${name}/host_factory?limit=10000`))).toEqual(all)
    expect(ids(await list(admin, `${name}/host_factory?offset=99999999999999999999999`))).toEqual([])
    // Across kinds: hosts, then host factories, then layers, then users.
    const everything = ids(await list(admin, name))
    expect(ids(await list(admin, `${name}?limit=3&offset=11`))).toEqual(everything.slice(11, 14))
    expect((await list(admin, `${name}/host_factory?count=true`)).json()).toEqual({ count: 12 })
    expect((await list(admin, `${name}/host_factory?count=true&limit=5`)).json()).toEqual({ count: 5 })
    expect((await list(admin, `${name}/host_factory?count=true&offset=8`)).json()).toEqual({ count: 4 })
    expect((await list(admin, `${name}/host_factory?count=true&limit=99999999999999999999999`)).json()).toEqual({ count: 12 })
  })

  it('a bad limit or offset is Conjur\'s 422 (the maximum first), in the v2 shape under its media type', async () => {
    const tenant = await newTenant(t.app)
    const admin = await userHeader(t.app, tenant, tenant.admin)
    const path = `${tenant.account.name}/host_factory`
    const badLimit = "'limit' contains an invalid value. 'limit' must be a positive integer."
    const badOffset = "'offset' contains an invalid value. 'offset' must be an integer greater than or equal to 0."
    for (const limit of ['abc', '0', '-10', '01', '1.5', '+5', '']) expectUnprocessable(await list(admin, `${path}?limit=${limit}`), badLimit)
    for (const offset of ['abc', '-1', '1e3']) expectUnprocessable(await list(admin, `${path}?offset=${offset}`), badOffset)
    expectUnprocessable(await list(admin, `${path}?offset=abc&limit=abc`), badLimit)
    expectUnprocessable(await list(admin, `${path}?limit=1001`), "'Limit' parameter must not exceed 1000")
    expectUnprocessable(await list(admin, `${path}?limit=2000&offset=abc`), "'Limit' parameter must not exceed 1000")
    expectUnprocessable(await list(admin, `${path}?count=true&limit=abc`), badLimit)
    const v2 = await list(admin, `${path}?limit=abc`, { accept: 'application/x.secretsmgr.v2beta+json' })
    expect(v2.statusCode).toBe(422)
    expect(v2.json()).toEqual({ code: '422', message: badLimit })
  })

  it('search finds words of identifiers (`.`, `/`, `-` as spaces) and of host annotation values, within what the caller sees', async () => {
    const { tenant, name, admin, memberHeader } = await world()
    await createHostFactory(t.app, tenant, { id: 'target.resource', layers: [] })
    expect(ids(await list(admin, `${name}?search=target`))).toEqual([`${name}:host_factory:target.resource`])
    expect(ids(await list(admin, `${name}?search=web-01`))).toEqual([`${name}:host:web-01`])
    expect(ids(await list(admin, `${name}/host?search=frontend`))).toEqual([`${name}:host:web-01`])
    expect(ids(await list(admin, `${name}?search=nothing-like-it`))).toEqual([])
    expect(ids(await list(admin, `${name}?search=`))).toEqual([])
    expect((await list(admin, `${name}?search=db&count=true`)).json()).toEqual({ count: 2 })
    // conjur-api-python's find-by-identifier: search=<identifier>, then the exact identifier.
    expect(ids(await list(memberHeader, `${name}?search=hf-db`))).toEqual([`${name}:host_factory:hf-db`])
    expect(ids(await list(memberHeader, `${name}?search=target`))).toEqual([])
  })

  it('role= (or acting_as=) lists what a role the caller holds sees; any other role is an empty 403', async () => {
    const { tenant, name, admin, member, memberHeader } = await world()
    const memberRole = encodeURIComponent(`${name}:user:${member.user.name}`)
    expect(ids(await list(admin, `${name}?role=${memberRole}`))).toEqual([`${name}:host_factory:hf-db`])
    expect(ids(await list(admin, `${name}?acting_as=${memberRole}`))).toEqual([`${name}:host_factory:hf-db`])
    expect(ids(await list(admin, `${name}?role=${name}:layer:db`))).toEqual([])
    expect(ids(await list(memberHeader, `${name}?role=${memberRole}`))).toEqual([`${name}:host_factory:hf-db`])
    expectEmpty(await list(memberHeader, `${name}?role=${name}:user:${tenant.admin.user.name}`), 403)
    expectEmpty(await list(admin, `${name}?role=${name}:user:nobody`), 403)
    // The maximum's 422 comes before the role's 403, the role's 403 before a bad offset's 422.
    expect((await list(memberHeader, `${name}?limit=5000&role=${name}:user:${tenant.admin.user.name}`)).statusCode).toBe(422)
    expectEmpty(await list(memberHeader, `${name}?offset=abc&role=${name}:user:${tenant.admin.user.name}`), 403)
  })

  it('another account lists nothing; a bad or missing token is the middleware\'s text/plain 401; HEAD answers as GET without a body', async () => {
    const { name, admin } = await world()
    const other = await newTenant(t.app)
    await createHostFactory(t.app, other)
    expect(ids(await list(admin, other.account.name))).toEqual([])
    expect((await list(admin, `${other.account.name}?count=true`)).json()).toEqual({ count: 0 })
    expectMiddleware(await list(undefined, name), 401, 'Authorization missing')
    expectMiddleware(await list('Token token="bm90IGEgdG9rZW4="', name), 401, 'Malformed authorization token')
    expectMiddleware(await list('Token token="bm90IGEgdG9rZW4="', `${name}/host?count=true`), 401, 'Malformed authorization token')
    const head = await t.app.inject({ method: 'HEAD', url: `/resources/${name}/host`, headers: { authorization: admin } })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
  })
})

describe('GET /resources/{account}/{host|user|layer}/{id} (Conjur resources#show for roles)', () => {
  let t: TestApp
  let tenant: Tenant
  let name: string
  let admin: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    name = tenant.account.name
    admin = await userHeader(t.app, tenant, tenant.admin)
    const factory = await createHostFactory(t.app, tenant, { id: 'hf-app', layers: ['app/servers'] })
    const [token] = await newTokens(t.app, admin, { host_factory: hfId(tenant, factory) })
    expect((await createHost(t.app, token!.token, 'id=app/web-02&annotations[team]=blue')).statusCode).toBe(201)
  })
  afterAll(() => t?.close())

  function show (authorization: string, path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> {
    return t.app.inject({ method, url: `/resources/${name}/${path}`, headers: { authorization } })
  }

  it('an admin sees a host, a user and a layer as the listing shows them (identifiers with / as %2F)', async () => {
    const host = await show(admin, 'host/app%2Fweb-02')
    expect(host.statusCode).toBe(200)
    expect(host.json()).toEqual({
      created_at: expect.stringMatching(/\+00:00$/),
      id: `${name}:host:app/web-02`,
      owner: `${name}:host_factory:hf-app`,
      permissions: [],
      annotations: [{ name: 'team', value: 'blue' }],
      restricted_to: []
    })
    const user = await show(admin, `user/${tenant.admin.user.name}`)
    expect(user.json()).toEqual({ created_at: expect.stringMatching(/\+00:00$/), id: `${name}:user:${tenant.admin.user.name}`, owner: null, permissions: [], annotations: [], restricted_to: [] })
    const layer = await show(admin, 'layer/app%2Fservers')
    expect(layer.json()).toEqual({ created_at: expect.stringMatching(/\+00:00$/), id: `${name}:layer:app/servers`, owner: null, permissions: [], annotations: [] })
    const listed = await t.app.inject({ url: `/resources/${name}`, headers: { authorization: admin } })
    expect(listed.json()).toEqual(expect.arrayContaining([host.json(), user.json(), layer.json()]))
    expect((await show(admin, 'host/app%2Fweb-02', 'HEAD')).statusCode).toBe(200)
  })

  it('anyone else, and what does not exist, gets the 404 body (HEAD an empty 404); check=true still answers 204/404', async () => {
    const member = await newMember(t.app, tenant)
    const header = await userHeader(t.app, tenant, member)
    const invisible = await show(header, 'host/app%2Fweb-02')
    expect(invisible.statusCode).toBe(404)
    expect(invisible.json()).toEqual(notFoundBody(`${name}:host:app/web-02`, `Host 'app/web-02' not found in account '${name}'`, 'host'))
    expect((await show(header, `user/${member.user.name}`)).json()).toEqual(notFoundBody(`${name}:user:${member.user.name}`, `User '${member.user.name}' not found in account '${name}'`, 'user'))
    expect((await show(admin, 'layer/nope')).json()).toEqual(notFoundBody(`${name}:layer:nope`, `Layer 'nope' not found in account '${name}'`, 'layer'))
    expectEmpty(await show(header, 'host/app%2Fweb-02', 'HEAD'), 404)
    expectEmpty(await show(admin, 'host/app%2Fweb-02?check=true&privilege=update'), 204)
    const ownCheck = await show(header, `user/${member.user.name}?check=true&privilege=read&role=${name}:user:${member.user.name}`)
    expect(ownCheck.statusCode).toBe(404)
    expect(ownCheck.json()).toEqual(notFoundBody(`${name}:user:${member.user.name}`, `User '${member.user.name}' not found in account '${name}'`, 'user'))
    expectMiddleware(await show('Token token="bm90IGEgdG9rZW4="', 'host/app%2Fweb-02'), 401, 'Malformed authorization token')
  })
})
