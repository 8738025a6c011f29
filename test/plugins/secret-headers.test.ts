import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { superAdminSession, tenantSession, unique, type Login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/** Replies that carry a secret are never cached; no reply is sniffed into another media type. */
let t: TestApp
let admin: Login
beforeAll(async () => {
  t = await setupTestApp()
  admin = await superAdminSession(t.app)
})
afterAll(() => t?.close())

type Reply = Awaited<ReturnType<TestApp['app']['inject']>>

function expectSecret (reply: Reply, status: number): void {
  expect(reply.statusCode, reply.body).toBe(status)
  expect(reply.headers['cache-control']).toBe('no-store')
  expect(reply.headers['x-content-type-options']).toBe('nosniff')
}

function expectNotSecret (reply: Reply, status: number): void {
  expect(reply.statusCode, reply.body).toBe(status)
  expect(reply.headers['cache-control']).toBeUndefined()
  expect(reply.headers['x-content-type-options']).toBe('nosniff')
}

describe('Cache-Control: no-store', () => {
  it('on a new session and on validations, which show a token id', async () => {
    const { token, user, account } = await tenantSession(t.app, ['admin'])
    const issued = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.user.name, password: user.password }, tenantId: account.id } } })
    expectSecret(issued, 200)
    expect(issued.json().access.token.id).toMatch(/^[0-9a-f]{64}$/)
    expectSecret(await t.app.inject({ url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': admin.token } }), 200)
    expectSecret(await t.app.inject({ method: 'HEAD', url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': admin.token } }), 200)
    // Refusals of those routes too: nothing they answer is worth a cache entry.
    expectSecret(await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.user.name, password: 'wrong-password' } } } }), 401)
  })

  it('on an agent token created, read, listed or relabelled', async () => {
    const { token, account } = await tenantSession(t.app, ['admin'])
    const headers = { 'x-auth-token': token }
    const created = await t.app.inject({ method: 'POST', url: `/v1.0/${account.id}/agent_tokens`, headers, payload: { label: 'x' } })
    expectSecret(created, 201)
    const id = String(created.headers['x-object-id'])
    expectSecret(await t.app.inject({ url: `/v1.0/${account.id}/agent_tokens/${id}`, headers }), 200)
    expectSecret(await t.app.inject({ url: `/v1.0/${account.id}/agent_tokens`, headers }), 200)
    expectSecret(await t.app.inject({ method: 'PUT', url: `/v1.0/${account.id}/agent_tokens/${id}`, headers, payload: { label: 'y' } }), 204)
    expectNotSecret(await t.app.inject({ method: 'DELETE', url: `/v1.0/${account.id}/agent_tokens/${id}`, headers }), 204)
  })

  it('on an API key, at user creation and rotation', async () => {
    const accountId = unique('ck').replace(/-/g, '')
    const headers = { 'x-auth-token': admin.token }
    expectNotSecret(await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers, payload: { id: accountId, name: accountId } }), 201)
    const created = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${accountId}/users`, headers, payload: { name: unique('ck-user') } })
    expectSecret(created, 201)
    expect(created.json().apiKey).toEqual(expect.any(String))
    expectSecret(await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${accountId}/users/${created.json().id}/api-key`, headers }), 200)
    expectNotSecret(await t.app.inject({ url: `/admin/v1/accounts/${accountId}/users/${created.json().id}`, headers }), 200)
  })
})

describe('X-Content-Type-Options: nosniff', () => {
  it('on every reply: success, refusal, unknown route, malformed URL, in every family', async () => {
    expectNotSecret(await t.app.inject({ url: '/healthz' }), 200)
    expectNotSecret(await t.app.inject({ url: '/' }), 300)
    expectNotSecret(await t.app.inject({ url: '/v2.0/tenants' }), 401)
    expectNotSecret(await t.app.inject({ url: '/v2.0/nope' }), 404)
    expectNotSecret(await t.app.inject({ method: 'DELETE', url: '/v1.0/123/agent_tokens/x' }), 401)
    expectNotSecret(await t.app.inject({ url: '/v1.0/123/nope' }), 404)
    expectNotSecret(await t.app.inject({ url: '/admin/v1/accounts' }), 401)
    expectNotSecret(await t.app.inject({ url: '/no/such/route' }), 404)
    // Refused before routing, a malformed URL's reply quotes it, token and all: never cached either.
    const malformed = await t.app.inject({ url: '/v2.0/tokens/abc%zz' })
    expectSecret(malformed, 400)
    expect(malformed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expectSecret(await t.app.inject({ url: '/admin/v1/accounts/%zz' }), 400)
  })
})
