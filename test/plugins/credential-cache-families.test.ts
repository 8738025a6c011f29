import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { App } from '../../src/app.js'
import type { Database } from '../../src/db/database.js'
import { eventually, NOTIFIED_WITHIN_MS } from '../helpers/eventually.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { call, collectionPath, createToken, expectProblem, newCaller, tokenPath, type Caller } from '../families/astra/helpers.js'
import { accessHeader, createHost, createHostFactory, hfId, newTenant, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'

/**
 * Astra API tokens and the role behind a Conjur access token are cached like sessions
 * (credential-cache.test.ts): every change that ends one must reach every replica.
 */

/** GET the Astra token collection as `caller` with the API token `secret`: 200, or Astra's 401 problem. */
async function astraListWith (app: App, caller: Caller, secret: string): Promise<number> {
  const response = await call(app, secret, 'GET', collectionPath(caller.accountId, caller.userId))
  if (response.statusCode === 401) expectProblem(response, 4)
  return response.statusCode
}

/** GET a host factory as Conjur shows it: 200 (or 404 for a role without privilege), Conjur's empty 403 once the role is gone. */
async function resourceWith (app: App, tenant: Tenant, factory: string, authorization: string): Promise<number> {
  const response = await app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization } })
  if (response.statusCode === 403) expect(response.body).toBe('')
  return response.statusCode
}

describe('cached Astra tokens and Conjur callers, on the replica that changes them', () => {
  let t: TestApp
  // 60 s: any refusal below comes from invalidation, never from an entry running out.
  beforeAll(async () => { t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } }) })
  afterAll(() => t?.close())

  it('an Astra token deleted or revoked is refused at once', async () => {
    await eventually(() => expect(t.app.credentialCache.enabled).toBe(true))
    const caller = await newCaller(t.app)
    const deleted = await createToken(t.app, caller)
    const revoked = await createToken(t.app, caller)
    expect(await astraListWith(t.app, caller, deleted.token)).toBe(200)
    expect(await astraListWith(t.app, caller, revoked.token)).toBe(200)

    expect((await call(t.app, caller.token, 'DELETE', tokenPath(caller.accountId, caller.userId, deleted.id))).statusCode).toBe(204)
    expect(await astraListWith(t.app, caller, deleted.token)).toBe(401)
    await t.app.db.updateTable('user_tokens').set({ revoked_at: sql<Date>`now()` }).where('id', '=', revoked.id).execute()
    expect(await astraListWith(t.app, caller, revoked.token)).toBe(401)
  })

  it('a Conjur user disabled, or a host deleted, is refused at once', async () => {
    const tenant = await newTenant(t.app)
    const factory = await createHostFactory(t.app, tenant)
    const userToken = await userHeader(t.app, tenant, tenant.admin)
    const [hfToken] = await newTokens(t.app, userToken, { host_factory: hfId(tenant, factory) })
    const host = (await createHost(t.app, hfToken!.token, { id: 'cached-host' })).json()
    const hostToken = await accessHeader(t.app, tenant.account.name, 'host/cached-host', host.api_key)
    expect(await resourceWith(t.app, tenant, factory, userToken)).toBe(200)
    // The host holds no privilege on the factory: 404, but its role was found.
    expect(await resourceWith(t.app, tenant, factory, hostToken)).toBe(404)

    await t.app.db.deleteFrom('hosts').where('account_id', '=', tenant.account.id).where('id', '=', 'cached-host').execute()
    expect(await resourceWith(t.app, tenant, factory, hostToken)).toBe(403)
    await t.app.db.updateTable('users').set({ enabled: false }).where('id', '=', tenant.admin.user.id).execute()
    expect(await resourceWith(t.app, tenant, factory, userToken)).toBe(403)
  })
})

describe.runIf(inject('testDatabase').kind === 'postgres')('cached Astra tokens and Conjur callers across replicas (PostgreSQL notifications)', () => {
  let t: TestApp
  let a: App
  let b: App
  /** A connection of its own, as the CLI or an operator's psql would write. */
  let outsider: Database

  beforeAll(async () => {
    t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } })
    a = t.app
    b = await t.replica()
    outsider = t.database.connect()
  })
  afterAll(() => t?.close())

  const listening = () => eventually(() => { expect(a.credentialCache.enabled).toBe(true); expect(b.credentialCache.enabled).toBe(true) })

  it('an Astra token deleted on replica A, or revoked by anyone, is refused by replica B', async () => {
    await listening()
    const caller = await newCaller(a)
    const deleted = await createToken(a, caller)
    const revoked = await createToken(a, caller)
    for (const token of [deleted, revoked]) {
      expect(await astraListWith(b, caller, token.token)).toBe(200)
      expect(await astraListWith(b, caller, token.token)).toBe(200)
    }
    expect((await call(a, caller.token, 'DELETE', tokenPath(caller.accountId, caller.userId, deleted.id))).statusCode).toBe(204)
    await eventually(async () => expect(await astraListWith(b, caller, deleted.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
    await outsider.updateTable('user_tokens').set({ revoked_at: sql<Date>`now()` }).where('id', '=', revoked.id).execute()
    await eventually(async () => expect(await astraListWith(b, caller, revoked.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
  })

  it('an Astra token\'s user losing the account, by anyone, is refused by replica B', async () => {
    await listening()
    const caller = await newCaller(b)
    const token = await createToken(b, caller)
    expect(await astraListWith(b, caller, token.token)).toBe(200)
    await outsider.updateTable('accounts').set({ enabled: false }).where('id', '=', caller.accountId).execute()
    await eventually(async () => expect(await astraListWith(b, caller, token.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
  })

  it('a Conjur host deleted, or a user disabled, by anyone, is refused by replica B', async () => {
    await listening()
    const tenant = await newTenant(a)
    const factory = await createHostFactory(a, tenant)
    const userToken = await userHeader(a, tenant, tenant.admin)
    const [hfToken] = await newTokens(a, userToken, { host_factory: hfId(tenant, factory) })
    const host = (await createHost(a, hfToken!.token, { id: 'replicated-host' })).json()
    const hostToken = await accessHeader(a, tenant.account.name, 'host/replicated-host', host.api_key)
    expect(await resourceWith(b, tenant, factory, userToken)).toBe(200)
    expect(await resourceWith(b, tenant, factory, hostToken)).toBe(404)

    await outsider.deleteFrom('hosts').where('account_id', '=', tenant.account.id).where('id', '=', 'replicated-host').execute()
    await eventually(async () => expect(await resourceWith(b, tenant, factory, hostToken)).toBe(403), NOTIFIED_WITHIN_MS, 1)
    await outsider.updateTable('users').set({ enabled: false }).where('id', '=', tenant.admin.user.id).execute()
    await eventually(async () => expect(await resourceWith(b, tenant, factory, userToken)).toBe(403), NOTIFIED_WITHIN_MS, 1)
  })
})
