import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { createHostFactory, expectMiddleware, grant, hfId, newMember, newTenant, newTokens, notFoundBody, userHeader, type Tenant } from './helpers.js'

describe('GET /resources/{account}/host_factory/{id} (spec §A4)', () => {
  let t: TestApp
  let tenant: Tenant

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
  })
  afterAll(() => t?.close())

  it('shows the factory with its owner, permissions, layers and every token in clear, expired ones too', async () => {
    const factory = await createHostFactory(t.app, tenant, { id: 'the-layer-factory', layers: ['the-layer'] })
    const alice = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${tenant.account.name}:user:${alice.user.name}`, 'read')
    const adminHeader = await userHeader(t.app, tenant, tenant.admin)
    const tokens = await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, factory), count: 2, cidr: ['10.0.0.0/8'] })
    await t.app.db.updateTable('host_factory_tokens').set({ expiration: new Date('2020-01-01T00:00:00Z') }).where('host_factory_id', '=', factory).execute()
    const response = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization: await userHeader(t.app, tenant, alice) } })
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    const body = response.json()
    expect(Object.keys(body)).toEqual(['created_at', 'id', 'owner', 'permissions', 'annotations', 'layers', 'tokens'])
    expect(body).toEqual({
      created_at: expect.stringMatching(/\+00:00$/),
      id: `${tenant.account.name}:host_factory:the-layer-factory`,
      owner: `${tenant.account.name}:user:${tenant.admin.user.name}`,
      permissions: [{ privilege: 'read', role: `${tenant.account.name}:user:${alice.user.name}` }],
      annotations: [],
      layers: [`${tenant.account.name}:layer:the-layer`],
      tokens: expect.arrayContaining(tokens.map((token) => ({ ...token, expiration: '2020-01-01T00:00:00Z' })))
    })
    expect(body.tokens).toHaveLength(2)
  })

  it('a factory with no tokens shows tokens: []', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const response = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization: await userHeader(t.app, tenant, tenant.admin) } })
    expect(response.json().tokens).toEqual([])
  })

  it('404 when unknown, invisible, of another account or of another kind', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const stranger = await newMember(t.app, tenant)
    const header = await userHeader(t.app, tenant, stranger)
    const invisible = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization: header } })
    expect(invisible.statusCode).toBe(404)
    expect(invisible.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))
    const unknown = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/nope`, headers: { authorization: header } })
    expect(unknown.json()).toEqual(notFoundBody(`${tenant.account.name}:host_factory:nope`, `Host_factory 'nope' not found in account '${tenant.account.name}'`, 'host_factory'))
    const adminHeader = await userHeader(t.app, tenant, tenant.admin)
    const variable = await t.app.inject({ url: `/resources/${tenant.account.name}/variable/db`, headers: { authorization: adminHeader } })
    expect(variable.statusCode).toBe(404)
    expect(variable.json()).toEqual(notFoundBody(`${tenant.account.name}:variable:db`, `Variable 'db' not found in account '${tenant.account.name}'`, 'variable'))
    const other = await newTenant(t.app)
    const elsewhere = await t.app.inject({ url: `/resources/${other.account.name}/host_factory/${factory}`, headers: { authorization: adminHeader } })
    expect(elsewhere.statusCode).toBe(404)
    const v2 = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/nope`, headers: { authorization: header, accept: 'application/x.secretsmgr.v2beta+json' } })
    expect(v2.json()).toEqual({ code: '404', message: `Host_factory 'nope' not found in account '${tenant.account.name}'` })
  })

  it('an identifier with slashes (as %2F), and 401 text/plain without a token', async () => {
    const factory = await createHostFactory(t.app, tenant, { id: 'database/users' })
    const response = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/database%2Fusers`, headers: { authorization: await userHeader(t.app, tenant, tenant.admin) } })
    expect(response.statusCode).toBe(200)
    expect(response.json().id).toBe(hfId(tenant, factory))
    expectMiddleware(await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/database%2Fusers` }), 401, 'Authorization missing')
  })

  it('an unknown route under the family answers in its dialect', async () => {
    const response = await t.app.inject({ method: 'PUT', url: '/host_factories/hosts' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No route for PUT /host_factories/hosts.' } })
  })
})
