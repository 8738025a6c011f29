import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { CONJUR_SECRET, createHost, createHostFactory, createTokens, FUTURE, hfId, newTenant, newTokens, userHeader, type Tenant } from './helpers.js'

describe('parallel token and host creation', () => {
  let t: TestApp
  let tenant: Tenant
  let factory: string
  let header: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    factory = await createHostFactory(t.app, tenant, { layers: ['db'] })
    header = await userHeader(t.app, tenant, tenant.admin)
  })
  afterAll(() => t?.close())

  it('40 parallel token requests of 5 each: 200 tokens, all distinct, all stored, no 500', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, () => createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE, count: 5 })))
    expect(responses.map((response) => response.statusCode)).toEqual(Array(40).fill(200))
    const tokens = responses.flatMap((response) => response.json().map((token: { token: string }) => token.token))
    expect(tokens).toHaveLength(200)
    expect(new Set(tokens).size).toBe(200)
    for (const token of tokens) expect(token).toMatch(CONJUR_SECRET)
    const stored = await t.app.db.selectFrom('host_factory_tokens').select(sql<number>`count(*)::int`.as('n')).where('host_factory_id', '=', factory).executeTakeFirstOrThrow()
    expect(stored.n).toBe(200)
    const shown = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization: header } })
    expect(new Set(shown.json().tokens.map((token: { token: string }) => token.token))).toEqual(new Set(tokens))
  })

  it('40 parallel enrolments of distinct hosts, and 20 of one host: every host stored once, the last key wins, no 500', async () => {
    const [token] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory) })
    const distinct = await Promise.all(Array.from({ length: 40 }, (_, index) => createHost(t.app, token!.token, { id: `parallel-${index}` })))
    expect(distinct.map((response) => response.statusCode)).toEqual(Array(40).fill(201))
    expect(new Set(distinct.map((response) => response.json().api_key)).size).toBe(40)
    const hosts = await t.app.db.selectFrom('hosts').select('id').where('account_id', '=', tenant.account.id).where('id', 'like', 'parallel-%').execute()
    expect(hosts).toHaveLength(40)
    const memberships = await t.app.db.selectFrom('layer_hosts').select('host_id').where('account_id', '=', tenant.account.id).where('host_id', 'like', 'parallel-%').execute()
    expect(memberships).toHaveLength(40)

    const same = await Promise.all(Array.from({ length: 20 }, () => createHost(t.app, token!.token, { id: 'contended' })))
    expect(same.map((response) => response.statusCode)).toEqual(Array(20).fill(201))
    const keys = same.map((response) => response.json().api_key as string)
    expect(new Set(keys).size).toBe(20)
    // Exactly one of the keys handed out works: the one written last.
    const working = await Promise.all(keys.map((key) => t.app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/host%2Fcontended/authenticate`, payload: key })))
    expect(working.filter((response) => response.statusCode === 200)).toHaveLength(1)
  })

  it('parallel creation of one host factory id: one 201, the rest 409, no 500', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.app.inject({
      method: 'POST',
      url: `/admin/v1/accounts/${tenant.account.id}/host-factories`,
      headers: { 'x-auth-token': tenant.adminToken },
      payload: { id: 'raced', layers: ['shared-layer'] }
    })))
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, ...Array(9).fill(409)])
  })
})
