import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UNSTORABLE_TEXT_PROBLEM } from '../../src/core/storable-text.js'
import { createHostFactory, hfId, newTenant, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'
import { superAdminSession, tenantSession, unique, type Login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/**
 * PostgreSQL text holds neither U+0000 nor an unpaired UTF-16 surrogate: any string a request
 * carries with one must be bad input (400 in the family's dialect), never a 500 from the database.
 */
let t: TestApp
let admin: Login
let tenant: Awaited<ReturnType<typeof tenantSession>>
beforeAll(async () => {
  t = await setupTestApp()
  admin = await superAdminSession(t.app)
  tenant = await tenantSession(t.app, ['admin'])
})
afterAll(() => t?.close())

const NUL = '\u0000'
/** Only a JSON escape can carry one: UTF-8 has no encoding for it. */
const LONE_SURROGATE = '\udfff'
const PROBLEM = UNSTORABLE_TEXT_PROBLEM

function inject (options: InjectOptions) {
  return t.app.inject(options)
}

describe('a NUL character under /v2.0 (Keystone)', () => {
  const login = (auth: Record<string, unknown>) => inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth } })
  const password = { password: 'whatever-password' }

  it.each([
    ['passwordCredentials.username', { passwordCredentials: { username: `a${NUL}b`, ...password } }, 'body/auth/passwordCredentials/username'],
    ['passwordCredentials.userId', { passwordCredentials: { userId: `a${NUL}b`, ...password } }, 'body/auth/passwordCredentials/userId'],
    ['tenantId', { passwordCredentials: { username: 'someone', ...password }, tenantId: NUL }, 'body/auth/tenantId'],
    ['tenantName', { passwordCredentials: { username: 'someone', ...password }, tenantName: `x${NUL}` }, 'body/auth/tenantName'],
    ['the RAX-KSKEY username', { 'RAX-KSKEY:apiKeyCredentials': { username: `${NUL}x`, apiKey: 'abc' } }, 'body/auth/RAX-KSKEY:apiKeyCredentials/username'],
    ['an object key, deep down', { passwordCredentials: { username: 'someone', ...password, extra: [{ [`k${NUL}`]: 1 }] } }, `body/auth/passwordCredentials/extra/0/k${NUL}`],
    ['a lone surrogate in the username', { passwordCredentials: { username: LONE_SURROGATE, ...password } }, 'body/auth/passwordCredentials/username'],
    ['a lone surrogate in an object key', { passwordCredentials: { username: 'someone', ...password }, [`x${LONE_SURROGATE}`]: 1 }, `body/auth/x${LONE_SURROGATE}`]
  ])('in %s: 400 in Keystone\'s words', async (_what, auth, where) => {
    const response = await login(auth)
    expect(response.statusCode).toBe(400)
    expect(response.headers['x-openstack-request-id']).toMatch(/^req-/)
    expect(response.json()).toEqual({ error: { message: `${where} ${PROBLEM}`, code: 400, title: 'Bad Request' } })
  })

  it('in a path parameter or the query of a validation', async () => {
    const inPath = await inject({ url: '/v2.0/tokens/ab%00cd', headers: { 'x-auth-token': admin.token } })
    expect(inPath.statusCode).toBe(400)
    expect(inPath.json()).toEqual({ error: { message: `params/tokenId ${PROBLEM}`, code: 400, title: 'Bad Request' } })

    const inQuery = await inject({ url: `/v2.0/tokens/${admin.token}?belongsTo=%00`, headers: { 'x-auth-token': admin.token } })
    expect(inQuery.statusCode).toBe(400)
    expect(inQuery.json()).toEqual({ error: { message: `querystring/belongsTo ${PROBLEM}`, code: 400, title: 'Bad Request' } })
  })
})

describe('a NUL character under /v1.0 (Monitoring)', () => {
  const headers = () => ({ 'x-auth-token': tenant.token })

  it('in the tenant id of the path: 400, before the tenant check', async () => {
    const response = await inject({ url: '/v1.0/%00/agent_tokens', headers: headers() })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      type: 'badRequest', code: 400, message: 'Validation error for key \'tenantId\'', details: `tenantId ${PROBLEM}`, txnId: response.headers['x-response-id']
    })
  })

  it('in the token id of the path', async () => {
    const response = await inject({ url: `/v1.0/${tenant.account.id}/agent_tokens/${'a'.repeat(64)}%00.${tenant.account.id}`, headers: headers() })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      type: 'badRequest', code: 400, message: 'Validation error for key \'tokenId\'', details: `tokenId ${PROBLEM}`, txnId: response.headers['x-response-id']
    })
  })

  it('in a label, a marker and the audit fields', async () => {
    const url = `/v1.0/${tenant.account.id}/agent_tokens`
    const label = await inject({ method: 'POST', url, headers: headers(), payload: { label: `a${NUL}` } })
    expect(label.statusCode).toBe(400)
    expect(label.json()).toMatchObject({ type: 'badRequest', code: 400, message: 'Validation error for key \'label\'', details: `label ${PROBLEM}` })

    const marker = await inject({ url: `${url}?marker=%00`, headers: headers() })
    expect(marker.statusCode).toBe(400)
    expect(marker.json()).toMatchObject({ type: 'badRequest', code: 400, message: 'Validation error for key \'marker\'', details: `marker ${PROBLEM}` })

    const who = await inject({ method: 'POST', url: `${url}?_who=%00`, headers: headers(), payload: {} })
    expect(who.statusCode).toBe(400)
    expect(who.json()).toMatchObject({ type: 'badRequest', code: 400, message: 'Validation error for key \'_who\'' })
  })
})

describe('a NUL character under /admin/v1 (Tessera\'s own)', () => {
  const call = (method: InjectOptions['method'], url: string, payload?: unknown) =>
    inject({ method, url: `/admin/v1${url}`, headers: { 'x-auth-token': admin.token }, ...(payload === undefined ? {} : { payload: payload as string }) })
  const invalid = (where: string) => ({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: `${where} ${PROBLEM}` })

  it('in account and user names, on create and on change', async () => {
    const accountId = unique('nul').replace(/-/g, '')
    expect((await call('POST', '/accounts', { id: accountId, name: accountId })).statusCode).toBe(201)
    const user = await call('POST', `/accounts/${accountId}/users`, { name: unique('nul-user'), password: 'long enough password' })
    expect(user.statusCode).toBe(201)
    const userId: string = user.json().id

    const cases: [InjectOptions['method'], string, unknown][] = [
      ['POST', '/accounts', { name: `acme${NUL}` }],
      ['PATCH', `/accounts/${accountId}`, { name: `acme${NUL}` }],
      ['POST', `/accounts/${accountId}/users`, { name: `alice${NUL}`, password: 'long enough password' }],
      ['PATCH', `/accounts/${accountId}/users/${userId}`, { name: `alice${NUL}` }],
      ['PATCH', `/accounts/${accountId}/users/${userId}`, { password: `long enough${NUL}password` }]
    ]
    for (const [method, url, payload] of cases) {
      const response = await call(method, url, payload)
      const field = Object.keys(payload as object)[0]!
      expect(response.statusCode, `${method} ${url}`).toBe(400)
      expect(response.json(), `${method} ${url}`).toEqual(invalid(`body/${field}`))
    }
  })

  it('in the after cursor of the lists', async () => {
    const accounts = await call('GET', '/accounts?after=%00')
    expect(accounts.statusCode).toBe(400)
    expect(accounts.json()).toEqual(invalid('querystring/after'))

    const users = await call('GET', `/accounts/${tenant.account.id}/users?after=a%00`)
    expect(users.statusCode).toBe(400)
    expect(users.json()).toEqual(invalid('querystring/after'))
  })
})

describe('a NUL character or a lone surrogate under the Conjur routes, whose bodies are decoded per route', () => {
  let conjur: Tenant
  let access: string
  let factory: string
  let hfToken: string
  beforeAll(async () => {
    conjur = await newTenant(t.app)
    factory = await createHostFactory(t.app, conjur)
    access = await userHeader(t.app, conjur, conjur.admin)
    hfToken = (await newTokens(t.app, access, { host_factory: hfId(conjur, factory) }))[0]!.token
  })

  /** Conjur's body parser answers bad input with an empty 400. */
  function expectEmpty400 (response: Awaited<ReturnType<typeof inject>>): void {
    expect(response.statusCode, response.body).toBe(400)
    expect(response.body).toBe('')
  }

  it.each([
    ['a form annotation value', 'id=nul-1&annotations[team]=a%00b', 'application/x-www-form-urlencoded'],
    ['a form annotation name', 'id=nul-2&annotations[t%00eam]=ab', 'application/x-www-form-urlencoded'],
    ['a form id', 'id=nul%00-3', undefined],
    ['a JSON annotation value', '{"id":"nul-4","annotations":{"team":"a\\u0000b"}}', 'application/json'],
    ['a JSON annotation name, as a lone surrogate', '{"id":"nul-5","annotations":{"t\\udfffeam":"ab"}}', 'application/json'],
    ['a JSON id, as a lone surrogate', '{"id":"nul-\\ud800"}', 'application/json']
  ])('POST /host_factories/hosts with %s: an empty 400, nothing stored', async (_what, payload, type) => {
    const response = await inject({ method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${hfToken}"`, ...(type ? { 'content-type': type } : {}) }, payload })
    expectEmpty400(response)
    const hosts = await t.database.db.selectFrom('hosts').select('id').where('account_id', '=', conjur.account.id).execute()
    expect(hosts).toEqual([])
  })

  it.each([
    ['a form host_factory', (id: string) => `host_factory=${encodeURIComponent(id)}%00&expiration=2050-01-01T00:00:00Z`, undefined],
    ['a JSON host_factory', (id: string) => JSON.stringify({ host_factory: `${id}\u0000`, expiration: '2050-01-01T00:00:00Z' }), 'application/json'],
    ['a JSON expiration, as a lone surrogate', (id: string) => JSON.stringify({ host_factory: id, expiration: `2050-01-01${LONE_SURROGATE}` }), 'application/json'],
    ['a form cidr', (id: string) => `host_factory=${encodeURIComponent(id)}&expiration=2050-01-01T00:00:00Z&cidr[]=10.0.0.0%00`, 'application/x-www-form-urlencoded']
  ])('POST /host_factory_tokens with %s: an empty 400', async (_what, payload, type) => {
    const response = await inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: access, ...(type ? { 'content-type': type } : {}) }, payload: payload(hfId(conjur, factory)) })
    expectEmpty400(response)
  })
})

// Astra's: test/families/astra/user-tokens.test.ts (problem 9).
describe('a lone surrogate under /v1.0 and /admin/v1', () => {
  it('in a Monitoring label', async () => {
    const response = await inject({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': tenant.token }, payload: { label: `a${LONE_SURROGATE}` } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ type: 'badRequest', code: 400, message: 'Validation error for key \'label\'', details: `label ${PROBLEM}`, txnId: response.headers['x-response-id'] })
  })

  it('in an admin account name', async () => {
    const response = await inject({ method: 'POST', url: '/admin/v1/accounts', headers: { 'x-auth-token': admin.token }, payload: { name: `acme${LONE_SURROGATE}` } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: `body/name ${PROBLEM}` })
  })
})

describe('the check', () => {
  it('covers the credential headers, before authentication reads them', async () => {
    const response = await inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': `abc${NUL}` } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ error: { message: `headers/x-auth-token ${PROBLEM}`, code: 400, title: 'Bad Request' } })
  })

  it('lets everything else through: control characters other than NUL, paired surrogates, and text without either', async () => {
    const response = await inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: 'a\u0001b\u007f💥', password: 'wrong-password' } } } })
    expect(response.statusCode).toBe(401)
  })
})
