import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/core/secrets.js'
import { insertUser, type UserFixture } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  adminCall, CONJUR_SECRET, createHost, createHostFactory, createTokens, expectArgumentError, expectEmpty, FUTURE, grant, hfId, newMember, newTenant, newTokens,
  notFoundBody, userHeader, type Tenant
} from './helpers.js'

describe('POST /host_factory_tokens (spec §A1)', () => {
  let t: TestApp
  let tenant: Tenant
  let factory: string
  let executor: UserFixture
  let header: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    factory = await createHostFactory(t.app, tenant, { layers: ['db', 'web'] })
    executor = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${tenant.account.name}:user:${executor.user.name}`, 'execute')
    header = await userHeader(t.app, tenant, executor)
  })
  afterAll(() => t?.close())

  it('answers 200 with an array of {expiration, cidr, token}, keys in that order, stored only hashed and sealed', async () => {
    const response = await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE, count: 2, cidr: ['127.0.0.1', '10.0.0.0/8'] })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.headers['cache-control']).toBe('no-store')
    const tokens = response.json()
    expect(tokens).toHaveLength(2)
    for (const token of tokens) {
      expect(Object.keys(token)).toEqual(['expiration', 'cidr', 'token'])
      expect(token).toEqual({ expiration: '2050-12-31T00:00:00Z', cidr: ['127.0.0.1/32', '10.0.0.0/8'], token: expect.stringMatching(CONJUR_SECRET) })
    }
    expect(tokens[0].token).not.toBe(tokens[1].token)
    const rows = await t.app.db.selectFrom('host_factory_tokens').select(['token_sha256', 'token_sealed']).where('host_factory_id', '=', factory).execute()
    const hashes = rows.map((row) => Buffer.from(row.token_sha256).toString('hex'))
    for (const { token } of tokens) {
      expect(hashes).toContain(sha256(token).toString('hex'))
      for (const row of rows) expect(Buffer.from(row.token_sealed).includes(Buffer.from(token))).toBe(false)
    }
  })

  it('reads the parameters from a form body with cidr[] repeated, as the seed\'s curl sends them', async () => {
    const form = new URLSearchParams([['expiration', '2050-12-31T00:00:00+02:00'], ['host_factory', hfId(tenant, factory)], ['count', '2'], ['cidr[]', '127.0.0.1'], ['cidr[]', '127.0.0.2']])
    const response = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString() })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual([0, 1].map(() => ({ expiration: '2050-12-30T22:00:00Z', cidr: ['127.0.0.1/32', '127.0.0.2/32'], token: expect.stringMatching(CONJUR_SECRET) })))
  })

  it('reads the query string (as cucumber sends), with no Content-Type at all, and lets the body win', async () => {
    const query = new URLSearchParams({ host_factory: hfId(tenant, factory), expiration: FUTURE, count: '3' })
    const fromQuery = await t.app.inject({ method: 'POST', url: `/host_factory_tokens?${query}`, headers: { authorization: header } })
    expect(fromQuery.statusCode).toBe(200)
    expect(fromQuery.json()).toHaveLength(3)
    const bodyWins = await t.app.inject({ method: 'POST', url: `/host_factory_tokens?${query}`, headers: { authorization: header, 'content-type': 'application/json' }, payload: { count: 1 } })
    expect(bodyWins.json()).toHaveLength(1)
    const noContentType = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header }, payload: Buffer.from(`host_factory=${encodeURIComponent(hfId(tenant, factory))}&expiration=${FUTURE}`) })
    expect(noContentType.statusCode).toBe(200)
    // Any other media type is ignored, so the parameters are missing.
    const ignored = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header, 'content-type': 'text/plain' }, payload: `host_factory=${hfId(tenant, factory)}` })
    expectArgumentError(ignored, 'host_factory')
  })

  it('a plain key repeated keeps its last value, as Rack parses it (only `cidr[]` makes a list)', async () => {
    const form = `host_factory=${encodeURIComponent(hfId(tenant, factory))}&expiration=2000-01-01&expiration=${FUTURE}&count=1&count=2&cidr[]=10.0.0.1&cidr[]=10.0.0.2`
    const response = await t.app.inject({ method: 'POST', url: '/host_factory_tokens?count=5', headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' }, payload: form })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual([0, 1].map(() => ({ expiration: '2050-12-31T00:00:00Z', cidr: ['10.0.0.1/32', '10.0.0.2/32'], token: expect.stringMatching(CONJUR_SECRET) })))
    const fromQuery = await t.app.inject({ method: 'POST', url: `/host_factory_tokens?host_factory=${encodeURIComponent(hfId(tenant, factory))}&expiration=${FUTURE}&count=3&count=1`, headers: { authorization: header } })
    expect(fromQuery.json()).toHaveLength(1)
  })

  it('treats an offset-less expiration as UTC and drops fractions from the output', async () => {
    const [token] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '2050-08-01T22:03:39.123456' })
    expect(token!.expiration).toBe('2050-08-01T22:03:39Z')
    const [dateOnly] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '2050-12-31' })
    expect(dateOnly!.expiration).toBe('2050-12-31T00:00:00Z')
    for (const [input, output] of [['20501231T000000Z', '2050-12-31T00:00:00Z'], ['2050-12-31T00:00Z', '2050-12-31T00:00:00Z'], ['2050-365', '2050-12-31T00:00:00Z'], ['2050-12-31T24:00:00', '2051-01-01T00:00:00Z']]) {
      const [parsed] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: input })
      expect(parsed!.expiration, input).toBe(output)
    }
  })

  describe('processing order: each step, and which error wins', () => {
    it('1. host_factory missing → 422 argument_error "host_factory" (even with every other parameter wrong)', async () => {
      expectArgumentError(await createTokens(t.app, header, { expiration: 'junk', count: -1, cidr: ['x'] }), 'host_factory')
      expectArgumentError(await createTokens(t.app, header, {}), 'host_factory')
    })

    it('2. unknown or invisible resource → 404 naming it, before the kind, the privilege and the other parameters', async () => {
      const missing = `${tenant.account.name}:host_factory:the-layer-factory`
      const response = await createTokens(t.app, header, { host_factory: missing, expiration: 'junk' })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(notFoundBody(missing, `Host_factory 'the-layer-factory' not found in account '${tenant.account.name}'`, 'host_factory'))
      // A factory the caller has no relation to reads exactly as one that does not exist.
      const hidden = await createHostFactory(t.app, tenant)
      const invisible = await createTokens(t.app, header, { host_factory: hfId(tenant, hidden), expiration: FUTURE })
      expect(invisible.statusCode).toBe(404)
      expect(invisible.json()).toEqual(notFoundBody(hfId(tenant, hidden), `Host_factory '${hidden}' not found in account '${tenant.account.name}'`, 'host_factory'))
      // An id of one part: unknown kind, no target.
      const partial = await createTokens(t.app, header, { host_factory: 'fake_factory', expiration: FUTURE })
      expect(partial.statusCode).toBe(404)
      expect(partial.json()).toEqual(notFoundBody('fake_factory', "Unknown kind '' not found in account 'fake_factory'", null))
      // Another account's name: not found there for this caller.
      const other = await newTenant(t.app)
      const elsewhere = await createHostFactory(t.app, other)
      expect((await createTokens(t.app, header, { host_factory: hfId(other, elsewhere), expiration: FUTURE })).statusCode).toBe(404)
    })

    it('3. a visible resource of another kind → 422 "Invalid resource kind: <kind>", before the privilege check', async () => {
      const adminHeader = await userHeader(t.app, tenant, tenant.admin)
      expectArgumentError(await createTokens(t.app, adminHeader, { host_factory: `${tenant.account.name}:user:${executor.user.name}`, expiration: FUTURE }), 'Invalid resource kind: user')
      expectArgumentError(await createTokens(t.app, adminHeader, { host_factory: `${tenant.account.name}:layer:db`, expiration: FUTURE }), 'Invalid resource kind: layer')
    })

    it('4. without execute → 403 with an empty body, before the expiration is looked at', async () => {
      const reader = await newMember(t.app, tenant)
      await grant(t.app, tenant, factory, `${tenant.account.name}:user:${reader.user.name}`, 'read')
      expectEmpty(await createTokens(t.app, await userHeader(t.app, tenant, reader), { host_factory: hfId(tenant, factory) }), 403)
    })

    it('5. expiration absent or null → 422 "expiration", before count', async () => {
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), count: 'x' }), 'expiration')
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: null }), 'expiration')
    })

    it.each([-1, 0, 1.5, '1.5', 'non-integer-input', '', '1e3', [2], true, 1001])('6. count %j → 422 Invalid value for parameter \'count\', before the expiration is parsed', async (count) => {
      const shown = typeof count === 'string' ? count : JSON.stringify(count)
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: 'junk', count }), `Invalid value for parameter 'count': ${shown}`)
    })

    it.each([[2, 2], ['2', 2], [' 2 ', 2], ['+3', 3], ['010', 8], ['0x1A', 26], ['0b11', 3], ['1_0', 10], [null, 1]])('6. count %j is %i tokens (Ruby\'s strict Integer())', async (count, expected) => {
      expect(await newTokens(t.app, header, { host_factory: hfId(tenant, factory), count })).toHaveLength(expected)
    })

    it.each(['2050-12-31 00:00:00', '', 'tomorrow', 12345, '2050-02-30', '2050-13-01'])('7. expiration %j → 422 invalid ISO8601', async (expiration) => {
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration, cidr: ['bad'] }), `Input is invalid ISO8601 datetime string: ${expiration}`)
    })

    it('8. an expiration not in the future → 422, printed with the offset as given, before the CIDRs', async () => {
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '2017-08-04T22:27:20+00:00', cidr: ['bad'] }),
        'Value for parameter expiration must be in the future: 2017-08-04T22:27:20+00:00')
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '2017-08-04T22:27:20Z' }),
        'Value for parameter expiration must be in the future: 2017-08-04T22:27:20+00:00')
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '2020-01-01T10:00:00-05:30' }),
        'Value for parameter expiration must be in the future: 2020-01-01T10:00:00-05:30')
    })

    it.each([
      ['0000-02-29', '0000-02-29T00:00:00+00:00'],
      ['0099-12-31T23:59:59+01:00', '0099-12-31T23:59:59+01:00'],
      ['0000-01-01T00:00:00+01:00', '0000-01-01T00:00:00+01:00']
    ])('8. an expiration in the years 0 to 99 is that year, not 19xx (%s) → 422 not in the future', async (expiration, printed) => {
      expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration }), `Value for parameter expiration must be in the future: ${printed}`)
    })

    it('takes expirations up to the end of 9999, UTC: what the database stores on every driver (Tessera\'s limit) → 422', async () => {
      const [last] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: '9999-12-31T23:59:59Z' })
      expect(last!.expiration).toBe('9999-12-31T23:59:59Z')
      for (const [expiration, printed] of [['9999-12-31T24:00:00Z', '10000-01-01T00:00:00+00:00'], ['9999-12-31T23:00:00-01:00', '9999-12-31T23:00:00-01:00']]) {
        expectArgumentError(await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration }),
          `Value for parameter expiration must be before 10000-01-01T00:00:00+00:00: ${printed}`)
      }
    })

    it.each([
      ['1.895.abc.0/32', "Invalid IP address or CIDR range '1.895.abc.0/32'"],
      ['ip.address', "Invalid IP address or CIDR range 'ip.address'"],
      ['192.168.001.001', "Invalid IP address or CIDR range '192.168.001.001'"],
      ['', "Invalid IP address or CIDR range ''"],
      ['10.0.0.0/33', "Invalid IP address or CIDR range '10.0.0.0/33'"],
      ['10.0.0.1/24', "Invalid IP address or CIDR range '10.0.0.1/24': Value has bits set to right of mask. Did you mean '10.0.0.0/24'?"],
      ['10.0.0.0/255.0.0.0', "Invalid IP address or CIDR range '10.0.0.0/255.0.0.0': Value has bits set to right of mask. Did you mean '10.0.0.0/8'?"]
    ])('9. cidr %j → 422 unprocessable_entity, and nothing is stored', async (entry, message) => {
      const before = await countTokens()
      const response = await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE, count: 3, cidr: ['127.0.0.1', entry] })
      expectArgumentError(response, message, 'unprocessable_entity')
      expect(await countTokens()).toBe(before)
    })

    it('9. normalises CIDRs: /32 and /128 for bare addresses, 0.0.0.0/0 and IPv6 ranges kept, an empty list for none', async () => {
      const [token] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), cidr: ['192.0.2.1', '0.0.0.0/0', '0.0.0.0/32', '2001:db8::/32', '::1'] })
      expect(token!.cidr).toEqual(['192.0.2.1/32', '0.0.0.0/0', '0.0.0.0/32', '2001:db8::/32', '::1/128'])
      // Conjur keeps the list as given, normalised entry by entry: no merging of repeats.
      const [repeated] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), cidr: ['10.0.0.1', '10.0.0.1/32', '10.0.0.1'] })
      expect(repeated!.cidr).toEqual(['10.0.0.1/32', '10.0.0.1/32', '10.0.0.1/32'])
      const [none] = await newTokens(t.app, header, { host_factory: hfId(tenant, factory), cidr: [] })
      expect(none!.cidr).toEqual([])
    })
  })

  async function countTokens (): Promise<number> {
    const row = await t.app.db.selectFrom('host_factory_tokens').select(sql<number>`count(*)::int`.as('n')).where('host_factory_id', '=', factory).executeTakeFirstOrThrow()
    return row.n
  }

  describe('errors of the request itself', () => {
    it('400 with an empty body for unparseable JSON', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: header, 'content-type': 'application/json' }, payload: '{"host_factory":' })
      expectEmpty(response, 400)
    })

    it('the v2 Accept header reshapes the unprocessable 422 and the 404, not argument errors', async () => {
      const v2 = { accept: 'application/x.secretsmgr.v2beta+json' }
      const cidr = await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE, cidr: ['ip.address'] }, v2)
      expect(cidr.statusCode).toBe(422)
      expect(cidr.headers['content-type']).toMatch(/^application\/x\.secretsmgr\.v2beta\+json/)
      expect(cidr.json()).toEqual({ code: '422', message: "Invalid IP address or CIDR range 'ip.address'" })
      const missing = await createTokens(t.app, header, { host_factory: `${tenant.account.name}:host_factory:nope`, expiration: FUTURE }, v2)
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual({ code: '404', message: `Host_factory 'nope' not found in account '${tenant.account.name}'` })
      expectArgumentError(await createTokens(t.app, header, { expiration: FUTURE }, v2), 'host_factory')
      const reader = await newMember(t.app, tenant)
      await grant(t.app, tenant, factory, `${tenant.account.name}:user:${reader.user.name}`, 'read')
      expectEmpty(await createTokens(t.app, await userHeader(t.app, tenant, reader), { host_factory: hfId(tenant, factory), expiration: FUTURE }, v2), 403)
    })
  })
})

describe('DELETE /host_factory_tokens/{token} (spec §A2)', () => {
  let t: TestApp
  let tenant: Tenant
  let factory: string
  let updater: UserFixture
  let executor: UserFixture

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    factory = await createHostFactory(t.app, tenant)
    updater = await newMember(t.app, tenant)
    executor = await newMember(t.app, tenant)
    await grant(t.app, tenant, factory, `${tenant.account.name}:user:${updater.user.name}`, 'update')
    await grant(t.app, tenant, factory, `${tenant.account.name}:user:${executor.user.name}`, 'execute')
  })
  afterAll(() => t?.close())

  const revoke = async (user: UserFixture, token: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'DELETE', url: `/host_factory_tokens/${token}`, headers: { authorization: await userHeader(t.app, tenant, user), ...headers } })

  it('1. an unknown token → 404 whose id is *:host_factory_token:<token>', async () => {
    const response = await revoke(updater, 'unknown0token')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual(notFoundBody('*:host_factory_token:unknown0token', "Host_factory_token 'unknown0token' not found in account '*'", 'host_factory_token'))
  })

  it('2. a token of a factory the caller cannot see → 404 naming the factory', async () => {
    const [token] = await newTokens(t.app, await userHeader(t.app, tenant, executor), { host_factory: hfId(tenant, factory) })
    const stranger = await newMember(t.app, tenant)
    const response = await revoke(stranger, token!.token)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))
  })

  it('2. a token of another account\'s factory → 404 naming that factory, even for this account\'s admin', async () => {
    const other = await newTenant(t.app)
    const otherFactory = await createHostFactory(t.app, other)
    const [token] = await newTokens(t.app, await userHeader(t.app, other, other.admin), { host_factory: hfId(other, otherFactory) })
    const response = await revoke(tenant.admin, token!.token)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual(notFoundBody(hfId(other, otherFactory), `Host_factory '${otherFactory}' not found in account '${other.account.name}'`, 'host_factory'))
  })

  it('3. without update → 403 with an empty body', async () => {
    const [token] = await newTokens(t.app, await userHeader(t.app, tenant, executor), { host_factory: hfId(tenant, factory) })
    expectEmpty(await revoke(executor, token!.token), 403)
  })

  it('4. with update → 204, then 404; the token no longer creates hosts', async () => {
    const [token] = await newTokens(t.app, await userHeader(t.app, tenant, executor), { host_factory: hfId(tenant, factory) })
    expect((await createHost(t.app, token!.token, { id: 'before-revocation' })).statusCode).toBe(201)
    expectEmpty(await revoke(updater, token!.token), 204)
    expect((await revoke(updater, token!.token)).statusCode).toBe(404)
    expectEmpty(await createHost(t.app, token!.token, { id: 'after-revocation' }), 401)
  })

  it('4. an expired token can still be revoked', async () => {
    const [token] = await newTokens(t.app, await userHeader(t.app, tenant, executor), { host_factory: hfId(tenant, factory) })
    await t.app.db.updateTable('host_factory_tokens').set({ expiration: new Date(Date.now() - 1000) }).where('token_sha256', '=', sha256(token!.token)).execute()
    expectEmpty(await revoke(updater, token!.token), 204)
  })

  it('a NUL byte in the token → 400', async () => {
    expectEmpty(await revoke(updater, 'abc%00def'), 400)
  })

  it('deleting the host factory deletes its tokens', async () => {
    const doomed = await createHostFactory(t.app, tenant)
    const adminHeader = await userHeader(t.app, tenant, tenant.admin)
    const [token] = await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, doomed) })
    expect((await adminCall(t.app, tenant, 'DELETE', `/host-factories/${doomed}`)).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'DELETE', url: `/host_factory_tokens/${token!.token}`, headers: { authorization: adminHeader } })).statusCode).toBe(404)
    expect(await t.app.db.selectFrom('host_factory_tokens').select('token_sha256').where('token_sha256', '=', sha256(token!.token)).executeTakeFirst()).toBeUndefined()
  })
})

describe('the privilege table of §A0.5', () => {
  let t: TestApp
  let tenant: Tenant

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
  })
  afterAll(() => t?.close())

  type Relation = 'none' | 'read' | 'execute' | 'update' | 'owner' | 'account admin'
  const TABLE: Array<[Relation, number, number, number]> = [
    ['none', 404, 404, 404],
    ['read', 403, 403, 200],
    ['execute', 200, 403, 200],
    ['update', 403, 204, 200],
    ['owner', 200, 204, 200],
    ['account admin', 200, 204, 200]
  ]

  it.each(TABLE)('%s: create tokens %i, revoke a token %i, show %i', async (relation, create, revoke, show) => {
    const caller = relation === 'account admin' ? await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['admin'] }) : await newMember(t.app, tenant)
    const role = `${tenant.account.name}:user:${caller.user.name}`
    const factory = await createHostFactory(t.app, tenant, relation === 'owner' ? { owner: role } : {})
    if (relation === 'read' || relation === 'execute' || relation === 'update') await grant(t.app, tenant, factory, role, relation)
    const header = await userHeader(t.app, tenant, caller)
    const [existing] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory) })

    const created = await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE })
    expect(created.statusCode).toBe(create)
    if (create === 200) expect(created.json()).toEqual([{ expiration: '2050-12-31T00:00:00Z', cidr: [], token: expect.stringMatching(CONJUR_SECRET) }])
    if (create === 403) expect(created.body).toBe('')
    if (create === 404) expect(created.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))

    const shown = await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/${factory}`, headers: { authorization: header } })
    expect(shown.statusCode).toBe(show)
    if (show === 200) expect(shown.json().tokens).toContainEqual(existing)
    else expect(shown.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))

    const revoked = await t.app.inject({ method: 'DELETE', url: `/host_factory_tokens/${existing!.token}`, headers: { authorization: header } })
    expect(revoked.statusCode).toBe(revoke)
    if (revoke !== 404) expect(revoked.body).toBe('')
    else expect(revoked.json()).toEqual(notFoundBody(hfId(tenant, factory), `Host_factory '${factory}' not found in account '${tenant.account.name}'`, 'host_factory'))
  })
})
