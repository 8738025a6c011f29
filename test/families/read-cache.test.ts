import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { eventually, NOTIFIED_WITHIN_MS } from '../helpers/eventually.js'
import { tenantSession } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import * as agent from './agent-tokens/helpers.js'
import * as astra from './astra/helpers.js'
import * as conjur from './conjur/helpers.js'

// A minute of caching: within a test, only this process's writes and the database's
// notifications can change what a replica shows, never the cache's own expiry.
let t: TestApp
let replica: App
beforeAll(async () => {
  t = await setupTestApp({ env: { READ_CACHE_MS: '60000' } })
  replica = await t.replica()
})
afterAll(() => t.close())

describe('the read cache, across replicas', () => {
  it('one agent token: relabelled or deleted on one replica, shown so by the other', async () => {
    const session = await tenantSession(t.app)
    const caller = { token: session.token, tenantId: session.account.id }
    const id = await agent.createToken(t.app, caller, { label: 'first' })
    const path = `${agent.collection(caller.tenantId)}/${id}`
    expect((await agent.call(replica, caller, 'GET', path)).json()).toEqual({ id, token: id, label: 'first', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
    // The cache holds the token by its sort key: an id sharing the sort key is still another token.
    const dot = id.indexOf('.')
    const forged = id.slice(0, 16) + (id[16] === 'f' ? 'e' : 'f') + id.slice(17, dot) + id.slice(dot)
    agent.expectError(await agent.call(replica, caller, 'GET', `${agent.collection(caller.tenantId)}/${forged}`), 404, 'notFoundError', 'Object does not exist', `Object "AgentToken" with key "${forged.slice(0, 16)}…" does not exist`)

    expect((await agent.call(t.app, caller, 'PUT', path, { label: 'second' })).statusCode).toBe(204)
    expect((await agent.call(t.app, caller, 'GET', path)).json()).toEqual({ id, token: id, label: 'second', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
    await eventually(async () => expect((await agent.call(replica, caller, 'GET', path)).json()).toEqual({ id, token: id, label: 'second', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) }), NOTIFIED_WITHIN_MS, 1)

    expect((await agent.call(t.app, caller, 'DELETE', path)).statusCode).toBe(204)
    expect((await agent.call(t.app, caller, 'GET', path)).statusCode).toBe(404)
    await eventually(async () => {
      const gone = await agent.call(replica, caller, 'GET', path)
      agent.expectError(gone, 404, 'notFoundError', 'Object does not exist', `Object "AgentToken" with key "${id.slice(0, 16)}…" does not exist`)
    }, NOTIFIED_WITHIN_MS, 1)
  })

  it('an Astra token list: the writer shows a new token at once; a revocation reaches the other replica', async () => {
    const caller = await astra.newCaller(t.app)
    const path = `${astra.collectionPath(caller.accountId, caller.userId)}?limit=10`
    const names = async (app: App) => {
      const response = await astra.call(app, caller.token, 'GET', path)
      expect(response.statusCode).toBe(200)
      return response.json().items.map((item: { name: string }) => item.name)
    }
    const first = await astra.createToken(t.app, caller, 'first')
    expect(await names(replica)).toEqual(['first'])
    expect(await names(t.app)).toEqual(['first'])

    await astra.createToken(t.app, caller, 'second')
    expect((await names(t.app)).sort()).toEqual(['first', 'second'])

    expect((await astra.call(t.app, caller.token, 'DELETE', astra.tokenPath(caller.accountId, caller.userId, first.id))).statusCode).toBe(204)
    expect(await names(t.app)).toEqual(['second'])
    await eventually(async () => expect(await names(replica)).toEqual(['second']), NOTIFIED_WITHIN_MS, 1)
  })

  it('a host factory: a revoked token, a permission taken away, the factory deleted, each reaches the other replica', async () => {
    const tenant = await conjur.newTenant(t.app)
    const factory = await conjur.createHostFactory(t.app, tenant)
    const alice = await conjur.newMember(t.app, tenant)
    await conjur.grant(t.app, tenant, factory, `${tenant.account.name}:user:${alice.user.name}`, 'read')
    const adminHeader = await conjur.userHeader(t.app, tenant, tenant.admin)
    const aliceHeader = await conjur.userHeader(t.app, tenant, alice)
    const [kept, revoked] = await conjur.newTokens(t.app, adminHeader, { host_factory: conjur.hfId(tenant, factory), count: 2 })
    const url = `/resources/${tenant.account.name}/host_factory/${factory}`
    const tokensSeenBy = async (app: App) => {
      const response = await app.inject({ url, headers: { authorization: aliceHeader } })
      expect(response.statusCode).toBe(200)
      return response.json().tokens.map((token: { token: string }) => token.token).sort()
    }
    expect(await tokensSeenBy(replica)).toEqual([kept!.token, revoked!.token].sort())

    expect((await t.app.inject({ method: 'DELETE', url: `/host_factory_tokens/${revoked!.token}`, headers: { authorization: adminHeader } })).statusCode).toBe(204)
    expect(await tokensSeenBy(t.app)).toEqual([kept!.token])
    await eventually(async () => expect(await tokensSeenBy(replica)).toEqual([kept!.token]), NOTIFIED_WITHIN_MS, 1)

    const withdrawn = await conjur.adminCall(t.app, tenant, 'DELETE', `/host-factories/${factory}/permissions`, { role: `${tenant.account.name}:user:${alice.user.name}`, privilege: 'read' })
    expect(withdrawn.statusCode).toBe(204)
    await eventually(async () => {
      const hidden = await replica.inject({ url, headers: { authorization: aliceHeader } })
      expect(hidden.statusCode).toBe(404)
      expect(hidden.json()).toEqual(conjur.notFoundBody(conjur.hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))
    }, NOTIFIED_WITHIN_MS, 1)

    expect((await replica.inject({ url, headers: { authorization: adminHeader } })).statusCode).toBe(200)
    expect((await conjur.adminCall(t.app, tenant, 'DELETE', `/host-factories/${factory}`)).statusCode).toBe(204)
    await eventually(async () => expect((await replica.inject({ url, headers: { authorization: adminHeader } })).statusCode).toBe(404), NOTIFIED_WITHIN_MS, 1)
  })

  it('a host factory: tokens issued show at once on the replica that issued them', async () => {
    const tenant = await conjur.newTenant(t.app)
    const factory = await conjur.createHostFactory(t.app, tenant)
    const adminHeader = await conjur.userHeader(t.app, tenant, tenant.admin)
    const url = `/resources/${tenant.account.name}/host_factory/${factory}`
    const shown = async () => (await t.app.inject({ url, headers: { authorization: adminHeader } })).json().tokens.map((token: { token: string }) => token.token).sort()
    expect(await shown()).toEqual([])
    const [first] = await conjur.newTokens(t.app, adminHeader, { host_factory: conjur.hfId(tenant, factory) })
    expect(await shown()).toEqual([first!.token])
    const [second] = await conjur.newTokens(t.app, adminHeader, { host_factory: conjur.hfId(tenant, factory) })
    expect(await shown()).toEqual([first!.token, second!.token].sort())
  })
})
