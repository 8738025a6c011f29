import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCESS_TOKEN_TTL_SECONDS, encodeAccessToken } from '../../../src/families/conjur/access-token.js'
import { accessTokensOf } from '../../../src/families/conjur/credentials.js'
import { insertUser, type UserFixture } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  adminCall, CONJUR_SECRET, createHost, createHostFactory, createTokens, expectEmpty, expectMiddleware, FUTURE, grant, hfId, newMember, newTenant, newTokens, userHeader,
  type Tenant
} from './helpers.js'

const basic = (login: string, secret: string) => `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`

describe('Conjur authentication (spec §A6, §A0.2)', () => {
  let now = new Date('2046-06-01T12:00:00Z')
  let t: TestApp
  let tenant: Tenant
  let alice: UserFixture

  beforeAll(async () => {
    t = await setupTestApp({ clock: () => now })
    tenant = await newTenant(t.app)
    alice = await newMember(t.app, tenant)
  })
  afterAll(() => t?.close())

  const loginAs = (authorization: string | undefined, account = tenant.account.name, query = '') =>
    t.app.inject({ url: `/authn/${account}/login${query}`, headers: authorization === undefined ? {} : { authorization } })
  const authenticate = (login: string, body: string, headers: Record<string, string> = {}, account = tenant.account.name) =>
    t.app.inject({ method: 'POST', url: `/authn/${account}/${encodeURIComponent(login)}/authenticate`, headers, payload: body })

  describe('GET /authn/{account}/login', () => {
    it('answers the user\'s existing API key as text/plain, with a password or with the key', async () => {
      for (const secret of [alice.password, alice.apiKey]) {
        const response = await loginAs(basic(alice.user.name, secret))
        expect(response.statusCode).toBe(200)
        expect(response.headers['content-type']).toMatch(/^text\/plain/)
        expect(response.headers['cache-control']).toBe('no-store')
        expect(response.body).toBe(alice.apiKey)
      }
    })

    it.each([
      ['a wrong password', () => basic(alice.user.name, 'wrong password')],
      ['an unknown user', () => basic('nobody-here', 'whatever1')],
      ['an empty user name', () => basic('', alice.password)],
      ['no credentials', () => undefined],
      ['odd characters', () => 'Basic !!!']
    ])('401 with an empty body for %s', async (_case, authorization) => {
      expectEmpty(await loginAs(authorization()), 401)
    })

    it('a valid access token instead of Basic → 401 with an empty body; a bad one is refused as on protected routes (the token is optional on /authn, spec §A0.2)', async () => {
      expectEmpty(await loginAs(await userHeader(t.app, tenant, alice)), 401)
      expectMiddleware(await loginAs('Token token="eyJhbGciOi"'), 401, 'Malformed authorization token')
      const expired = accessTokensOf(t.app.config).sign(tenant.account.id, { iat: 1, exp: 2, sub: alice.user.name })
      expectMiddleware(await loginAs(`Token token="${encodeAccessToken(expired)}"`), 401, 'Unauthorized: Invalid token')
    })

    it('401 for a user of another account, an unknown or disabled account, a disabled user, and ?role=', async () => {
      const other = await newTenant(t.app)
      expectEmpty(await loginAs(basic(other.admin.user.name, other.admin.password)), 401)
      expectEmpty(await loginAs(basic(alice.user.name, alice.password), 'no-such-account'), 401)
      expectEmpty(await loginAs(basic(alice.user.name, alice.password), tenant.account.name, `?role=${tenant.account.name}:user:${tenant.admin.user.name}`), 401)
      const bob = await insertUser(t.app.db, { accountId: tenant.account.id, enabled: false })
      expectEmpty(await loginAs(basic(bob.user.name, bob.password)), 401)
    })

    it('a user holding a role on the account logs into it too', async () => {
      const other = await newTenant(t.app)
      await t.app.db.insertInto('role_assignments').values({ user_id: other.admin.user.id, account_id: tenant.account.id, role: 'member' }).execute()
      const response = await loginAs(basic(other.admin.user.name, other.admin.password))
      expect(response.statusCode).toBe(200)
      expect(response.body).toBe(other.admin.apiKey)
    })
  })

  describe('POST /authn/{account}/{login}/authenticate', () => {
    it('answers the access token JSON {protected, payload, signature} with iat, sub, exp = iat + 8 minutes', async () => {
      const response = await authenticate(alice.user.name, alice.apiKey)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      const token = response.json()
      expect(Object.keys(token)).toEqual(['protected', 'payload', 'signature'])
      for (const part of Object.values(token)) expect(part).toMatch(/^[A-Za-z0-9_-]+=*$/)
      const claims = JSON.parse(Buffer.from(token.payload, 'base64url').toString())
      const iat = Math.floor(now.getTime() / 1000)
      expect(claims).toEqual({ iat, sub: alice.user.name, exp: iat + 480 })
      const header = JSON.parse(Buffer.from(token.protected, 'base64url').toString())
      expect(header).toEqual({ alg: 'conjur.org/tessera/hs256', kid: expect.stringMatching(/^[0-9a-f]{64}$/), account: tenant.account.id })
    })

    it.each(['base64', 'gzip      ,  bASe64 ,defalte,br', 'BASE64'])('Accept-Encoding %j: strict base64 as text/plain with Content-Encoding: base64', async (encoding) => {
      const response = await authenticate(alice.user.name, alice.apiKey, { 'accept-encoding': encoding })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^text\/plain/)
      expect(response.headers['content-encoding']).toBe('base64')
      expect(response.body).toMatch(/^[A-Za-z0-9+/]+=*$/)
      expect(Object.keys(JSON.parse(Buffer.from(response.body, 'base64').toString()))).toEqual(['protected', 'payload', 'signature'])
    })

    it('works with text/plain and form Content-Types and a trailing newline, and with user/<name>', async () => {
      expect((await authenticate(alice.user.name, alice.apiKey, { 'content-type': 'text/plain' })).statusCode).toBe(200)
      expect((await authenticate(alice.user.name, alice.apiKey, { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(200)
      expect((await authenticate(alice.user.name, `${alice.apiKey}\n`)).statusCode).toBe(200)
      const prefixed = await authenticate(`user/${alice.user.name}`, alice.apiKey)
      expect(JSON.parse(Buffer.from(prefixed.json().payload, 'base64url').toString()).sub).toBe(alice.user.name)
    })

    it.each([
      ['a wrong API key', () => [alice.user.name, 'x'.repeat(32)]],
      ['a password instead of the API key', () => [alice.user.name, alice.password]],
      ['an unknown user', () => ['nobody-here', alice.apiKey]],
      ['an empty body', () => [alice.user.name, '']],
      ['an unknown host', () => ['host/nope', alice.apiKey]]
    ])('401 with an empty body for %s', async (_case, args) => {
      const [login, body] = args() as [string, string]
      expectEmpty(await authenticate(login, body), 401)
    })

    it('401 for a user of another account and for an access token as the body', async () => {
      const other = await newTenant(t.app)
      expectEmpty(await authenticate(other.admin.user.name, other.admin.apiKey), 401)
      const token = (await authenticate(alice.user.name, alice.apiKey, { 'accept-encoding': 'base64' })).body
      expectEmpty(await authenticate(alice.user.name, token), 401)
    })

    it('a host created by a factory authenticates as host%2F<id> with its API key', async () => {
      const factory = await createHostFactory(t.app, tenant)
      const [token] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory) })
      const host = (await createHost(t.app, token!.token, { id: 'app/web-01' })).json()
      const response = await t.app.inject({ method: 'POST', url: `/authn/${tenant.account.name}/host%2Fapp%2Fweb-01/authenticate`, payload: host.api_key })
      expect(response.statusCode).toBe(200)
      expect(JSON.parse(Buffer.from(response.json().payload, 'base64url').toString()).sub).toBe('host/app/web-01')
      const login = await loginAs(basic('host/app/web-01', host.api_key))
      expect(login.statusCode).toBe(200)
      expect(login.body).toBe(host.api_key)
    })
  })

  describe('Authorization: Token token="…" on protected routes', () => {
    const protectedCall = (authorization?: string) =>
      t.app.inject({ method: 'POST', url: '/host_factory_tokens', headers: authorization === undefined ? {} : { authorization }, payload: { expiration: FUTURE } })

    it('no or another Authorization header → 401 text/plain "Authorization missing"', async () => {
      expectMiddleware(await protectedCall(), 401, 'Authorization missing')
      expectMiddleware(await protectedCall(basic(alice.user.name, alice.password)), 401, 'Authorization missing')
      expectMiddleware(await protectedCall('Token token=abc'), 401, 'Authorization missing')
      expectMiddleware(await t.app.inject({ url: `/resources/${tenant.account.name}/host_factory/x` }), 401, 'Authorization missing')
      expectMiddleware(await t.app.inject({ method: 'DELETE', url: '/host_factory_tokens/abc' }), 401, 'Authorization missing')
    })

    it('undecodable → 401 "Malformed authorization token"', async () => {
      expectMiddleware(await protectedCall('Token token="not base64 json"'), 401, 'Malformed authorization token')
      expectMiddleware(await protectedCall(`Token token="${Buffer.from('{"a":1}').toString('base64')}"`), 401, 'Malformed authorization token')
      // A host factory token is no access token.
      expectMiddleware(await protectedCall('Token token="281s2ag1g8s7gd2ezf6td3d619b52t9gaak3w8rj0p38124n384sq7x"'), 401, 'Malformed authorization token')
    })

    it('a bad signature, another server\'s key, or an expired token → 401 "Unauthorized: Invalid token"', async () => {
      const good = JSON.parse(Buffer.from((await authenticate(alice.user.name, alice.apiKey, { 'accept-encoding': 'base64' })).body, 'base64').toString())
      const tampered = { ...good, payload: Buffer.from(JSON.stringify({ iat: 1, sub: tenant.admin.user.name, exp: 4102444800 })).toString('base64url') }
      expectMiddleware(await protectedCall(`Token token="${encodeAccessToken(tampered)}"`), 401, 'Unauthorized: Invalid token')
      const foreign = await setupTestApp({ env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') } })
      try {
        const forged = accessTokensOf(foreign.app.config).issue(tenant.account.id, alice.user.name, now)
        expectMiddleware(await protectedCall(`Token token="${encodeAccessToken(forged)}"`), 401, 'Unauthorized: Invalid token')
      } finally {
        await foreign.close()
      }
      const header = await userHeader(t.app, tenant, alice)
      const issued = now
      now = new Date(issued.getTime() + (ACCESS_TOKEN_TTL_SECONDS - 1) * 1000)
      expect((await protectedCall(header)).statusCode).not.toBe(401)
      now = new Date(issued.getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000)
      expectMiddleware(await protectedCall(header), 401, 'Unauthorized: Invalid token')
      now = issued
    })

    it('claims Conjur does not know → 401 "token contains unrecognized claims"', async () => {
      const iat = Math.floor(now.getTime() / 1000)
      const odd = accessTokensOf(t.app.config).sign(tenant.account.id, { iat, exp: iat + 60, sub: alice.user.name, admin: true })
      expectMiddleware(await protectedCall(`Token token="${encodeAccessToken(odd)}"`), 401, 'token contains unrecognized claims')
    })

    it('a cidr claim the client is outside of → 403 text/plain "IP address rejected"; inside, the token works', async () => {
      const iat = Math.floor(now.getTime() / 1000)
      const sign = (cidr: unknown) => `Token token="${encodeAccessToken(accessTokensOf(t.app.config).sign(tenant.account.id, { iat, exp: iat + 60, sub: alice.user.name, cidr }))}"`
      expectMiddleware(await protectedCall(sign(['10.0.0.0/8'])), 403, 'IP address rejected')
      expectMiddleware(await protectedCall(sign(['not an address'])), 403, 'IP address rejected')
      const inside = await protectedCall(sign(['127.0.0.0/8']))
      expect(inside.statusCode).toBe(422)
      expect(inside.json()).toEqual({ error: { code: 'argument_error', message: 'host_factory' } })
    })

    it('a valid token whose role is gone or disabled → 403 with an empty body', async () => {
      const carol = await newMember(t.app, tenant)
      const header = await userHeader(t.app, tenant, carol)
      await t.app.db.updateTable('users').set({ enabled: false }).where('id', '=', carol.user.id).execute()
      expectEmpty(await protectedCall(header), 403)
      await t.app.db.deleteFrom('users').where('id', '=', carol.user.id).execute()
      expectEmpty(await protectedCall(header), 403)
    })

    it('verifies tokens issued by another replica (the key comes from TESSERA_SECRET_KEY)', async () => {
      const factory = await createHostFactory(t.app, tenant)
      await grant(t.app, tenant, factory, `${tenant.account.name}:user:${alice.user.name}`, 'execute')
      const replica = await t.replica()
      const header = await userHeader(replica, tenant, alice)
      const response = await createTokens(t.app, header, { host_factory: hfId(tenant, factory), expiration: FUTURE })
      expect(response.statusCode).toBe(200)
      expect(response.json()[0].token).toMatch(CONJUR_SECRET)
    })

    it('the admin API does not take Conjur access tokens: its own 401, as for no credential', async () => {
      const response = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/host-factories`, headers: { authorization: await userHeader(t.app, tenant, tenant.admin) } })
      expect(response.statusCode).toBe(401)
      expect(response.headers['www-authenticate']).toBe('Bearer realm="tessera"')
      expect(response.json()).toEqual({ statusCode: 401, code: 'TESSERA_UNAUTHENTICATED', message: 'The request you have made requires authentication.' })
      expect((await adminCall(t.app, tenant, 'GET', '/host-factories')).statusCode).toBe(200)
    })
  })
})
