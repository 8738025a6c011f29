import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/core/secrets.js'
import { clientIp, trustedRanges } from '../../../src/plugins/http/client-address.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  accessHeader, adminCall, CONJUR_SECRET, createHost, createHostFactory, expectArgumentError, expectEmpty, hfId, newTenant, newTokens, userHeader, type Tenant
} from './helpers.js'

/** Peer, X-Forwarded-For, TRUSTED_PROXIES → client IP: the 14 cases of spec §A5 (conjur spec/request/request_ip_spec.rb). */
const CLIENT_IP_CASES: Array<[peer: string, forwardedFor: string | undefined, trusted: string | undefined, client: string]> = [
  ['44.0.0.1', undefined, undefined, '44.0.0.1'],
  ['44.0.0.1', '3.3.3.3', undefined, '44.0.0.1'],
  ['127.0.0.1', '3.3.3.3', undefined, '3.3.3.3'],
  ['::1', '3.3.3.3', undefined, '3.3.3.3'],
  ['192.168.1.1', '3.3.3.3', undefined, '192.168.1.1'],
  ['44.0.0.1', '3.3.3.3', '4.4.4.4', '44.0.0.1'],
  ['127.0.0.1', '3.3.3.3', '4.4.4.4', '3.3.3.3'],
  ['5.5.5.1', '3.3.3.3', '5.5.5.0/24', '3.3.3.3'],
  ['5.5.5.1', '3.3.3.3,5.5.5.2,5.5.5.3', '5.5.5.0/24', '3.3.3.3'],
  ['4.4.4.4', '3.3.3.3,5.5.5.2,5.5.5.3', '5.5.5.0/24,4.4.4.0/24', '3.3.3.3'],
  ['4.4.4.4', '3.3.3.3,6.6.6.6,7.7.7.7', '4.4.4.0/24', '7.7.7.7'],
  ['4.4.4.4', '3.3.3.3,6.6.6.6,5.5.5.5', '4.4.4.0/24,5.5.5.0/24', '6.6.6.6'],
  ['4.4.4.4', '3.3.3.3,5.5.5.5,6.6.6.6,7.7.7.7', '4.4.4.0/24,5.5.5.0/24', '7.7.7.7'],
  ['4.4.4.4', '5.5.5.5,6.6.6.6', '4.4.4.4,5.5.5.5,6.6.6.6', '5.5.5.5']
]

describe('the client IP (spec §A5)', () => {
  it.each(CLIENT_IP_CASES)('peer %s, X-Forwarded-For %s, TRUSTED_PROXIES %s → %s', (peer, forwardedFor, trusted, client) => {
    const ranges = trustedRanges(trusted === undefined ? [] : trusted.split(','))
    expect(clientIp(peer, forwardedFor, ranges)).toBe(client)
    // A server listening on :: sees IPv4 peers IPv4-mapped; Rack hands Conjur the IPv4 form.
    if (!peer.includes(':')) expect(clientIp(`::ffff:${peer}`, forwardedFor, ranges)).toBe(client)
  })

  it('takes X-Forwarded-For entries literally: ::ffff:127.0.0.1 stays IPv6', () => {
    expect(clientIp('127.0.0.1', '::ffff:127.0.0.1', trustedRanges([]))).toBe('::ffff:127.0.0.1')
  })
})

describe('POST /host_factories/hosts (spec §A3)', () => {
  const apps = new Map<string, TestApp>()
  let t: TestApp
  let tenant: Tenant
  let factory: string
  let adminHeader: string

  beforeAll(async () => {
    t = await setupTestApp()
    tenant = await newTenant(t.app)
    factory = await createHostFactory(t.app, tenant, { layers: ['db', 'web'] })
    adminHeader = await userHeader(t.app, tenant, tenant.admin)
  })
  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()))
    await t?.close()
  })

  const token = async (params: Record<string, unknown> = {}) => (await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, factory), ...params }))[0]!.token

  it('201 with the host, owned by the factory, annotations sorted by name, and an API key stored hashed and sealed', async () => {
    const response = await createHost(t.app, await token(), 'id=brand-new-host&annotations[date]=today&annotations[creator]=me')
    expect(response.statusCode).toBe(201)
    expect(response.headers['cache-control']).toBe('no-store')
    const host = response.json()
    expect(Object.keys(host)).toEqual(['created_at', 'id', 'owner', 'permissions', 'annotations', 'restricted_to', 'api_key'])
    expect(host).toEqual({
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/),
      id: `${tenant.account.name}:host:brand-new-host`,
      owner: hfId(tenant, factory),
      permissions: [],
      annotations: [{ name: 'creator', value: 'me' }, { name: 'date', value: 'today' }],
      restricted_to: [],
      api_key: expect.stringMatching(CONJUR_SECRET)
    })
    const row = await t.app.db.selectFrom('hosts').select(['api_key_hash', 'api_key_sealed']).where('account_id', '=', tenant.account.id).where('id', '=', 'brand-new-host').executeTakeFirstOrThrow()
    expect(Buffer.from(row.api_key_hash)).toEqual(sha256(host.api_key))
    expect(Buffer.from(row.api_key_sealed).includes(Buffer.from(host.api_key))).toBe(false)
    const layers = await t.app.db.selectFrom('layer_hosts').select('layer_id').where('host_id', '=', 'brand-new-host').orderBy('layer_id').execute()
    expect(layers.map((layer) => layer.layer_id)).toEqual(['db', 'web'])
    // The new host can authenticate and act with its key.
    expect((await accessHeader(t.app, tenant.account.name, 'host/brand-new-host', host.api_key))).toMatch(/^Token token="/)
  })

  it('takes JSON and query parameters too; tokens are multi-use', async () => {
    const multi = await token()
    expect((await createHost(t.app, multi, { id: 'json-host', annotations: { n: 1 } })).json().annotations).toEqual([{ name: 'n', value: '1' }])
    const fromQuery = await t.app.inject({ method: 'POST', url: '/host_factories/hosts?id=query-host', headers: { authorization: `Token token="${multi}"` } })
    expect(fromQuery.statusCode).toBe(201)
    expect(fromQuery.json().id).toBe(`${tenant.account.name}:host:query-host`)
  })

  describe('processing order', () => {
    it.each([
      ['no Authorization header', undefined],
      ['an unquoted token', (value: string) => `Token token=${value}`],
      ['a Bearer token', (value: string) => `Bearer ${value}`],
      ['an access token', () => 'access']
    ])('1. %s → 401, empty body', async (_case, form) => {
      const value = await token()
      const authorization = form === undefined ? undefined : form(value) === 'access' ? adminHeader : form(value)
      const response = await t.app.inject({ method: 'POST', url: '/host_factories/hosts', headers: authorization === undefined ? {} : { authorization }, payload: { id: 'x' } })
      expectEmpty(response, 401)
    })

    it('2. an unknown token → 401, empty body, even with bad parameters', async () => {
      expectEmpty(await createHost(t.app, '281s2ag1g8s7gd2ezf6td3d619b52t9gaak3w8rj0p38124n384sq7x', {}), 401)
    })

    it('3. an expired token → 401 (now ≥ expiration)', async () => {
      const expired = await token()
      await t.app.db.updateTable('host_factory_tokens').set({ expiration: new Date() }).where('token_sha256', '=', sha256(expired)).execute()
      expectEmpty(await createHost(t.app, expired, {}), 401)
    })

    it('3. a client outside the token\'s CIDR list → 401; inside → 201; IPv4-mapped peers read as IPv4', async () => {
      const restricted = await token({ cidr: ['127.0.0.1', '10.0.0.0/8'] })
      expectEmpty(await createHost(t.app, restricted, { id: 'far' }, { remoteAddress: '192.0.2.1' }), 401)
      expect((await createHost(t.app, restricted, { id: 'near-1' }, { remoteAddress: '127.0.0.1' })).statusCode).toBe(201)
      expect((await createHost(t.app, restricted, { id: 'near-2' }, { remoteAddress: '10.20.30.40' })).statusCode).toBe(201)
      expect((await createHost(t.app, restricted, { id: 'near-3' }, { remoteAddress: '::ffff:10.1.2.3' })).statusCode).toBe(201)
      expectEmpty(await createHost(t.app, restricted, { id: 'v6' }, { remoteAddress: '::1' }), 401)
    })

    it('3. X-Forwarded-For counts only from a trusted proxy, and its ::ffff: entries stay IPv6', async () => {
      const restricted = await token({ cidr: ['3.3.3.3'] })
      // From loopback (always trusted), the forwarded client is judged.
      expect((await createHost(t.app, restricted, { id: 'proxied' }, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '3.3.3.3' } })).statusCode).toBe(201)
      expectEmpty(await createHost(t.app, restricted, { id: 'spoofed' }, { remoteAddress: '44.0.0.1', headers: { 'x-forwarded-for': '3.3.3.3' } }), 401)
      const loopback = await token({ cidr: ['127.0.0.1'] })
      expectEmpty(await createHost(t.app, loopback, { id: 'mapped' }, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '::ffff:127.0.0.1' } }), 401)
    })

    it.each(CLIENT_IP_CASES)('3. over HTTP: peer %s, X-Forwarded-For %s, TRUSTED_PROXIES %s → the token restricted to %s admits it', async (peer, forwardedFor, trusted, client) => {
      const key = trusted ?? ''
      let app = apps.get(key)
      if (!app) {
        app = await setupTestApp({ env: trusted === undefined ? {} : { TRUSTED_PROXIES: trusted } })
        apps.set(key, app)
      }
      const own = await newTenant(app.app)
      const ownFactory = await createHostFactory(app.app, own)
      const [allowed] = await newTokens(app.app, await userHeader(app.app, own, own.admin), { host_factory: hfId(own, ownFactory), cidr: [client] })
      const [elsewhere] = await newTokens(app.app, await userHeader(app.app, own, own.admin), { host_factory: hfId(own, ownFactory), cidr: ['198.51.100.0/24'] })
      const headers: Record<string, string> = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }
      expect((await createHost(app.app, allowed!.token, { id: 'in' }, { remoteAddress: peer, headers })).statusCode).toBe(201)
      expectEmpty(await createHost(app.app, elsewhere!.token, { id: 'out' }, { remoteAddress: peer, headers }), 401)
    })

    it.each([['absent', {}], ['empty', { id: '' }], ['whitespace', { id: '   ' }]])('5. id %s → 422 parameter_missing', async (_case, body) => {
      expectArgumentError(await createHost(t.app, await token(), body), 'param is missing or the value is empty: id', 'parameter_missing')
    })

    it('5. an empty body → 422 parameter_missing', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${await token()}"` } })
      expectArgumentError(response, 'param is missing or the value is empty: id', 'parameter_missing')
    })

    it.each(['conjur/x', '/conjur/x'])('6. id %s → 422 Invalid id', async (id) => {
      expectArgumentError(await createHost(t.app, await token(), { id }), `Invalid id: ${id}`)
    })

    it('6. an id merely starting with "conjur" is fine', async () => {
      expect((await createHost(t.app, await token(), { id: 'conjur-in-root-policy-branch' })).statusCode).toBe(201)
    })

    it('7. a host this factory owns gets a new API key (the old one stops working)', async () => {
      const first = (await createHost(t.app, await token(), { id: 'rotated' })).json()
      const again = await createHost(t.app, await token(), { id: 'rotated' })
      expect(again.statusCode).toBe(201)
      const second = again.json()
      expect(second.api_key).not.toBe(first.api_key)
      expect(second.created_at).toBe(first.created_at)
      expectEmpty(await t.app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/host%2Frotated/authenticate`, payload: first.api_key }), 401)
      expect((await t.app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/host%2Frotated/authenticate`, payload: second.api_key })).statusCode).toBe(200)
    })

    it('7. a host of another factory (or none) → 403 with an empty body', async () => {
      expect((await createHost(t.app, await token(), { id: 'taken' })).statusCode).toBe(201)
      const otherFactory = await createHostFactory(t.app, tenant)
      const [otherToken] = await newTokens(t.app, adminHeader, { host_factory: hfId(tenant, otherFactory) })
      expectEmpty(await createHost(t.app, otherToken!.token, { id: 'taken' }), 403)
      // Once its factory is deleted the host is nobody's: no factory may rotate it.
      expect((await adminCall(t.app, tenant, 'DELETE', `/host-factories/${factory}`)).statusCode).toBe(204)
      factory = await createHostFactory(t.app, tenant, { layers: ['db', 'web'] })
      expectEmpty(await createHost(t.app, await token(), { id: 'taken' }), 403)
    })

    it('hosts are created in the factory\'s account; the same id in another account is another host', async () => {
      const other = await newTenant(t.app)
      const otherFactory = await createHostFactory(t.app, other)
      const [otherToken] = await newTokens(t.app, await userHeader(t.app, other, other.admin), { host_factory: hfId(other, otherFactory) })
      expect((await createHost(t.app, await token(), { id: 'shared-name' })).statusCode).toBe(201)
      const response = await createHost(t.app, otherToken!.token, { id: 'shared-name' })
      expect(response.statusCode).toBe(201)
      expect(response.json().id).toBe(`${other.account.name}:host:shared-name`)
    })

    it('a token of a disabled account → 401', async () => {
      const other = await newTenant(t.app)
      const otherFactory = await createHostFactory(t.app, other)
      const [otherToken] = await newTokens(t.app, await userHeader(t.app, other, other.admin), { host_factory: hfId(other, otherFactory) })
      await t.app.db.updateTable('accounts').set({ enabled: false }).where('id', '=', other.account.id).execute()
      expectEmpty(await createHost(t.app, otherToken!.token, { id: 'disabled' }), 401)
    })

    it('a body over 64 KiB → 413 with an empty body', async () => {
      expectEmpty(await createHost(t.app, await token(), { id: 'big', annotations: { big: 'x'.repeat(70 * 1024) } }), 413)
    })

    it('bad annotations → 422; unparseable JSON → 400', async () => {
      expectArgumentError(await createHost(t.app, await token(), { id: 'a', annotations: 'text' }), "Invalid value for parameter 'annotations'")
      const response = await t.app.inject({ method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${await token()}"`, 'content-type': 'application/json' }, payload: '{' })
      expectEmpty(response, 400)
    })
  })
})
