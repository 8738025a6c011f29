import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { superAdminSession, tenantSession, unique, type Login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/**
 * PostgreSQL text cannot hold U+0000: any string a request carries with one must be bad input
 * (400 in the family's dialect), never a 500 from the database.
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
const PROBLEM = 'must not contain the NUL character (U+0000)'

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
    ['an object key, deep down', { passwordCredentials: { username: 'someone', ...password, extra: [{ [`k${NUL}`]: 1 }] } }, `body/auth/passwordCredentials/extra/0/k${NUL}`]
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

describe('the NUL check', () => {
  it('covers the credential headers, before authentication reads them', async () => {
    const response = await inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': `abc${NUL}` } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ error: { message: `headers/x-auth-token ${PROBLEM}`, code: 400, title: 'Bad Request' } })
  })

  it('lets everything else through: control characters other than NUL, and NUL-free text', async () => {
    const response = await inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: 'a\u0001b\u007f', password: 'wrong-password' } } } })
    expect(response.statusCode).toBe(401)
  })

  it('survives a deeply nested body without overflowing the stack', async () => {
    const depth = 50_000
    const payload = `{"auth":${'['.repeat(depth)}"x${'\\u0000'}"${']'.repeat(depth)}}`
    const response = await inject({ method: 'POST', url: '/v2.0/tokens', headers: { 'content-type': 'application/json' }, payload })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toMatch(new RegExp(`^body/auth/0/0/.*/0 ${PROBLEM.replace(/[()+]/g, '\\$&')}$`))
  })
})
