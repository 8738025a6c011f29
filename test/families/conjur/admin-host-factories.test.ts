import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUser, superAdminSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { errorBody, FORBIDDEN, UNAUTHENTICATED } from '../admin/admin-helpers.js'
import { adminCall, createHost, createHostFactory, grant, hfId, newMember, newTenant, newTokens, userHeader, type Tenant } from './helpers.js'

describe('admin API: /admin/v1/accounts/{accountId}/host-factories', () => {
  let t: TestApp
  let tenant: Tenant

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
  })
  afterAll(() => t?.close())

  const name = () => tenant.account.name

  describe('POST', () => {
    it('201 with the resource: Conjur ids, layers created, the calling user as owner', async () => {
      const response = await adminCall(t.app, tenant, 'POST', '/host-factories', { id: 'hf-db', layers: ['db', 'app/web', 'db'] })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toEqual({
        id: `${name()}:host_factory:hf-db`,
        owner: `${name()}:user:${tenant.admin.user.name}`,
        layers: [`${name()}:layer:app/web`, `${name()}:layer:db`],
        permissions: [],
        createdAt: expect.stringMatching(/Z$/)
      })
      const layers = await t.app.db.selectFrom('layers').select('id').where('account_id', '=', tenant.account.id).orderBy('id').execute()
      expect(layers.map((layer) => layer.id)).toEqual(['app/web', 'db'])
    })

    it('takes an owner: a user or a host of the account', async () => {
      const alice = await newMember(t.app, tenant)
      const owned = await adminCall(t.app, tenant, 'POST', '/host-factories', { id: 'owned-by-alice', layers: [], owner: `${name()}:user:${alice.user.name}` })
      expect(owned.statusCode).toBe(201)
      expect(owned.json().owner).toBe(`${name()}:user:${alice.user.name}`)
      const [token] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, 'hf-db') })
      expect((await createHost(t.app, token!.token, { id: 'owner-host' })).statusCode).toBe(201)
      const byHost = await adminCall(t.app, tenant, 'POST', '/host-factories', { id: 'owned-by-host', layers: ['db'], owner: `${name()}:host:owner-host` })
      expect(byHost.statusCode).toBe(201)
      expect(byHost.json().owner).toBe(`${name()}:host:owner-host`)
    })

    it('409 for a duplicate id, and nothing changes', async () => {
      await createHostFactory(t.app, tenant, { id: 'dup', layers: ['one'] })
      const response = await adminCall(t.app, tenant, 'POST', '/host-factories', { id: 'dup', layers: ['two'] })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, 'a host factory with id dup already exists'))
      expect(await t.app.db.selectFrom('layers').select('id').where('account_id', '=', tenant.account.id).where('id', '=', 'two').executeTakeFirst()).toBeUndefined()
    })

    it.each([
      [{ layers: [] }, 'body/id must have required property \'id\''],
      [{ id: 'bad id', layers: [] }, 'body/id must match pattern "^[A-Za-z0-9._@/-]{1,128}$"'],
      [{ id: 'x', layers: [], extra: 1 }, 'body/extra must NOT have additional properties'],
      [{ id: 'x', layers: [], owner: 'other:user:alice' }, undefined],
      [{ id: 'x', layers: [], owner: 'ACCOUNT:group:ops' }, undefined]
    ])('400 for %j', async (body, message) => {
      const payload = { ...body, ...('owner' in body ? { owner: String(body.owner).replace('ACCOUNT', name()) } : {}) }
      const response = await adminCall(t.app, tenant, 'POST', '/host-factories', payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, message ?? `owner must be ${name()}:user:<name> or ${name()}:host:<id>`))
    })

    it('404 for an unknown owner or account', async () => {
      const unknown = await adminCall(t.app, tenant, 'POST', '/host-factories', { id: 'y', layers: [], owner: `${name()}:user:nobody` })
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json()).toEqual(errorBody(404, `${name()}:user:nobody does not exist`))
    })

    it('401 without a session, 403 for a member or another account\'s admin', async () => {
      const anonymous = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/host-factories`, payload: { id: 'z', layers: [] } })
      expect(anonymous.statusCode).toBe(401)
      expect(anonymous.json()).toEqual(UNAUTHENTICATED)
      const other = await newTenant(t.app)
      const foreign = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/host-factories`, headers: { 'x-auth-token': other.adminToken }, payload: { id: 'z', layers: [] } })
      expect(foreign.statusCode).toBe(403)
      expect(foreign.json()).toEqual(FORBIDDEN)
    })
  })

  describe('GET, DELETE', () => {
    it('lists by id in keyset pages with a Link header', async () => {
      const own = await newTenant(t.app)
      for (const id of ['c', 'a', 'b']) await createHostFactory(t.app, own, { id })
      const first = await adminCall(t.app, own, 'GET', '/host-factories?limit=2')
      expect(first.statusCode).toBe(200)
      expect(first.json().items.map((item: { id: string }) => item.id)).toEqual([`${own.account.name}:host_factory:a`, `${own.account.name}:host_factory:b`])
      expect(first.json().nextCursor).toBe('b')
      expect(first.headers.link).toContain('after=b')
      const second = await adminCall(t.app, own, 'GET', '/host-factories?limit=2&after=b')
      expect(second.json()).toEqual({ items: [expect.objectContaining({ id: `${own.account.name}:host_factory:c`, layers: [`${own.account.name}:layer:db`] })], nextCursor: null })
    })

    it('gets one with its permissions; 404 for an unknown one', async () => {
      const id = await createHostFactory(t.app, tenant)
      const bob = await newMember(t.app, tenant)
      await grant(t.app, tenant, id, `${name()}:user:${bob.user.name}`, 'read')
      await grant(t.app, tenant, id, `${name()}:user:${bob.user.name}`, 'read')
      const response = await adminCall(t.app, tenant, 'GET', `/host-factories/${id}`)
      expect(response.statusCode).toBe(200)
      expect(response.json().permissions).toEqual([{ privilege: 'read', role: `${name()}:user:${bob.user.name}` }])
      const missing = await adminCall(t.app, tenant, 'GET', '/host-factories/nope')
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual(errorBody(404, 'host factory nope does not exist'))
    })

    it('deletes one (204) with its tokens; then 404', async () => {
      const id = await createHostFactory(t.app, tenant)
      await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, id), count: 3 })
      expect((await adminCall(t.app, tenant, 'DELETE', `/host-factories/${id}`)).statusCode).toBe(204)
      expect(await t.app.db.selectFrom('host_factory_tokens').select('token_sha256').where('host_factory_id', '=', id).execute()).toEqual([])
      const again = await adminCall(t.app, tenant, 'DELETE', `/host-factories/${id}`)
      expect(again.statusCode).toBe(404)
      expect(again.json()).toEqual(errorBody(404, `host factory ${id} does not exist`))
    })
  })

  describe('deletions elsewhere', () => {
    it('deleting the owner leaves the factory without an owner; deleting the account takes everything with it', async () => {
      const own = await newTenant(t.app)
      const erin = await newMember(t.app, own)
      const id = await createHostFactory(t.app, own, { owner: `${own.account.name}:user:${erin.user.name}` })
      await grant(t.app, own, id, `${own.account.name}:user:${erin.user.name}`, 'read')
      const [token] = await newTokens(t.app, await userHeader(t.app, own, own.admin), { host_factory: hfId(own, id) })
      expect((await createHost(t.app, token!.token, { id: 'doomed-host' })).statusCode).toBe(201)
      await t.app.db.deleteFrom('users').where('id', '=', erin.user.id).execute()
      const orphan = (await adminCall(t.app, own, 'GET', `/host-factories/${id}`)).json()
      expect(orphan.owner).toBeNull()
      expect(orphan.permissions).toEqual([])
      const superAdmin = await superAdminSession(t.app)
      const deleted = await t.app.inject({ method: 'DELETE', url: `/admin/v1/accounts/${own.account.id}`, headers: { 'x-auth-token': superAdmin.token } })
      expect(deleted.statusCode).toBe(204)
      for (const table of ['hosts', 'layers', 'host_factories', 'host_factory_tokens'] as const) {
        expect(await t.app.db.selectFrom(table).select('account_id').where('account_id', '=', own.account.id).execute(), table).toEqual([])
      }
    })
  })

  describe('permissions', () => {
    it('POST grants (204, idempotent), DELETE withdraws (204, idempotent), for users and hosts', async () => {
      const id = await createHostFactory(t.app, tenant)
      const carol = await newMember(t.app, tenant)
      const role = `${name()}:user:${carol.user.name}`
      expect((await adminCall(t.app, tenant, 'POST', `/host-factories/${id}/permissions`, { role, privilege: 'execute' })).statusCode).toBe(204)
      const header = await userHeader(t.app, tenant, carol)
      expect((await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header }, payload: { host_factory: hfId(tenant, id), expiration: '2050-01-01' } })).statusCode).toBe(200)
      expect((await adminCall(t.app, tenant, 'DELETE', `/host-factories/${id}/permissions`, { role, privilege: 'execute' })).statusCode).toBe(204)
      expect((await adminCall(t.app, tenant, 'DELETE', `/host-factories/${id}/permissions`, { role, privilege: 'execute' })).statusCode).toBe(204)
      expect((await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header }, payload: { host_factory: hfId(tenant, id), expiration: '2050-01-01' } })).statusCode).toBe(404)
      const [token] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, id) })
      expect((await createHost(t.app, token!.token, { id: 'perm-host' })).statusCode).toBe(201)
      expect((await adminCall(t.app, tenant, 'POST', `/host-factories/${id}/permissions`, { role: `${name()}:host:perm-host`, privilege: 'read' })).statusCode).toBe(204)
      expect((await adminCall(t.app, tenant, 'GET', `/host-factories/${id}`)).json().permissions).toEqual([{ privilege: 'read', role: `${name()}:host:perm-host` }])
    })

    it('400 for an unknown privilege, 404 for an unknown role or factory', async () => {
      const id = await createHostFactory(t.app, tenant)
      const dave = await insertUser(t.app.db, { accountId: tenant.account.id })
      const bad = await adminCall(t.app, tenant, 'POST', `/host-factories/${id}/permissions`, { role: `${name()}:user:${dave.user.name}`, privilege: 'own' })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().code).toBe('TESSERA_INVALID_INPUT')
      const nobody = await adminCall(t.app, tenant, 'POST', `/host-factories/${id}/permissions`, { role: `${name()}:user:nobody`, privilege: 'read' })
      expect(nobody.statusCode).toBe(404)
      expect(nobody.json()).toEqual(errorBody(404, `${name()}:user:nobody does not exist`))
      const missing = await adminCall(t.app, tenant, 'POST', '/host-factories/nope/permissions', { role: `${name()}:user:${dave.user.name}`, privilege: 'read' })
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual(errorBody(404, 'host factory nope does not exist'))
    })
  })
})
