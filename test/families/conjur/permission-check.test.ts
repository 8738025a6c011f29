import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  accessHeader, createHost, createHostFactory, expectArgumentError, expectEmpty, expectMiddleware, grant, hfId, newMember, newTenant, newTokens, notFoundBody, userHeader, type Tenant
} from './helpers.js'

/**
 * GET /resources/{account}/{kind}/{id}?check=true&privilege=P[&role=…], as conjur-api-ruby's
 * `permitted?` and conjur-api-python's `check_privilege` send it: Conjur's
 * resources#check_permission answers 204 or an empty 404, never the resource.
 */
describe('permission checks on resources (Conjur resources#check_permission)', () => {
  let t: TestApp
  let tenant: Tenant
  let account: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    account = tenant.account.name
  })
  afterAll(() => t?.close())

  /** The SDKs' request: query `check=true&privilege=P` (Python adds `role=`, empty or a full id escaped with quote(safe='')). */
  function check (authorization: string, factory: string, query: string, kind = 'host_factory') {
    return t.app.inject({ url: `/resources/${account}/${kind}/${encodeURIComponent(factory)}?${query}`, headers: { authorization } })
  }

  it('a user with read and execute but not update is refused update (the reported defect), granted execute and read', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const alice = await newMember(t.app, tenant)
    const role = `${account}:user:${alice.user.name}`
    await grant(t.app, tenant, factory, role, 'read')
    await grant(t.app, tenant, factory, role, 'execute')
    const header = await userHeader(t.app, tenant, alice)
    const update = await check(header, factory, 'check=true&privilege=update')
    expectEmpty(update, 404)
    expect(update.headers['content-type']).toBeUndefined()
    expectEmpty(await check(header, factory, 'check=true&privilege=execute'), 204)
    expectEmpty(await check(header, factory, 'check=true&role=&privilege=read'), 204)
    expectEmpty(await check(header, factory, 'check=true&privilege=delete'), 404)
  })

  it('a user holding update is granted it; the owner and an admin are granted anything', async () => {
    const bob = await newMember(t.app, tenant)
    const factory = await createHostFactory(t.app, tenant, { owner: `${account}:user:${bob.user.name}` })
    const carol = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${account}:user:${carol.user.name}`, 'update')
    expectEmpty(await check(await userHeader(t.app, tenant, carol), factory, 'check=true&privilege=update'), 204)
    expectEmpty(await check(await userHeader(t.app, tenant, carol), factory, 'check=true&privilege=execute'), 404)
    expectEmpty(await check(await userHeader(t.app, tenant, bob), factory, 'check=true&privilege=update'), 204)
    expectEmpty(await check(await userHeader(t.app, tenant, tenant.admin), factory, 'check=true&privilege=anything'), 204)
  })

  it('any value of check, or none, asks the question; without it the resource is shown', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const header = await userHeader(t.app, tenant, tenant.admin)
    expectEmpty(await check(header, factory, 'check&privilege=update'), 204)
    expectEmpty(await check(header, factory, 'check=false&privilege=update'), 204)
    const shown = await check(header, factory, 'privilege=update')
    expect(shown.statusCode).toBe(200)
    expect(shown.json().id).toBe(hfId(tenant, factory))
  })

  it('role= asks about a role the caller holds: an admin about anyone, a user about itself only (else an empty 403)', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const dave = await newMember(t.app, tenant)
    const daveRole = `${account}:user:${dave.user.name}`
    await grant(t.app, tenant, factory, daveRole, 'execute')
    const admin = await userHeader(t.app, tenant, tenant.admin)
    // Ruby's query_escape and Python's quote(safe='') escape the colons.
    const asDave = `role=${encodeURIComponent(daveRole)}`
    expectEmpty(await check(admin, factory, `check=true&privilege=execute&${asDave}`), 204)
    expectEmpty(await check(admin, factory, `check=true&privilege=update&${asDave}`), 404)
    const daveHeader = await userHeader(t.app, tenant, dave)
    expectEmpty(await check(daveHeader, factory, `check=true&privilege=execute&${asDave}`), 204)
    expectEmpty(await check(daveHeader, factory, `check=true&privilege=update&role=${account}:user:${tenant.admin.user.name}`), 403)
    // A partial id, an unknown role and another account's role name nobody the caller holds.
    expectEmpty(await check(admin, factory, `check=true&privilege=execute&role=user:${dave.user.name}`), 403)
    expectEmpty(await check(admin, factory, `check=true&privilege=execute&role=${account}:user:nobody`), 403)
    expectEmpty(await check(admin, factory, `check=true&privilege=execute&role=elsewhere:user:${dave.user.name}`), 403)
    // A role the caller does not hold is refused before the resource is looked at.
    expectEmpty(await check(daveHeader, 'no-such-factory', `check=true&privilege=execute&role=${account}:user:${tenant.admin.user.name}`), 403)
  })

  it('a host asks about itself and its layers; layers hold no privilege on a factory', async () => {
    const factory = await createHostFactory(t.app, tenant, { layers: ['web'] })
    const admin = await userHeader(t.app, tenant, tenant.admin)
    const [{ token }] = await newTokens(t.app, admin, { host_factory: hfId(tenant, factory) }) as [{ token: string }, ...unknown[]]
    const host = await createHost(t.app, token, { id: 'checker-host' })
    expect(host.statusCode).toBe(201)
    await grant(t.app, tenant, factory, `${account}:host:checker-host`, 'read')
    const header = await accessHeader(t.app, account, 'host/checker-host', host.json().api_key)
    expectEmpty(await check(header, factory, 'check=true&privilege=read'), 204)
    expectEmpty(await check(header, factory, `check=true&privilege=read&role=${encodeURIComponent(`${account}:host:checker-host`)}`), 204)
    expectEmpty(await check(header, factory, `check=true&privilege=read&role=${account}:layer:web`), 404)
    expectEmpty(await check(header, factory, `check=true&privilege=read&role=${account}:layer:not-mine`), 403)
    expectEmpty(await check(admin, factory, `check=true&privilege=read&role=${account}:layer:web`), 404)
  })

  it('a factory the caller cannot see is Conjur\'s 404 with its body; no privilege is a 422; no token a 401', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const stranger = await userHeader(t.app, tenant, await newMember(t.app, tenant))
    const invisible = await check(stranger, factory, 'check=true&privilege=read')
    expect(invisible.statusCode).toBe(404)
    expect(invisible.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${account}'`, 'host_factory'))
    const unknown = await check(stranger, 'nope', 'check=true&privilege=read')
    expect(unknown.json()).toEqual(notFoundBody(`${account}:host_factory:nope`, `Host_factory 'nope' not found in account '${account}'`, 'host_factory'))
    expectArgumentError(await check(stranger, factory, 'check=true'), 'privilege')
    expectMiddleware(await t.app.inject({ url: `/resources/${account}/host_factory/${factory}?check=true&privilege=read` }), 401, 'Authorization missing')
  })

  it('users, hosts and layers are resources an admin owns; others cannot see them', async () => {
    const erin = await newMember(t.app, tenant)
    const admin = await userHeader(t.app, tenant, tenant.admin)
    expectEmpty(await check(admin, erin.user.name, 'check=true&privilege=update', 'user'), 204)
    expectEmpty(await check(admin, erin.user.name, `check=true&privilege=update&role=${account}:user:${erin.user.name}`, 'user'), 404)
    const own = await check(await userHeader(t.app, tenant, erin), erin.user.name, 'check=true&privilege=update', 'user')
    expect(own.statusCode).toBe(404)
    expect(own.json()).toEqual(notFoundBody(`${account}:user:${erin.user.name}`, `User '${erin.user.name}' not found in account '${account}'`, 'user'))
  })
})
