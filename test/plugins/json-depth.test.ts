import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH } from '../../src/core/bounded-json.js'
import { call, collectionPath, expectProblem, newCaller, TOKEN_MEDIA, type Caller } from '../families/astra/helpers.js'
import { createHostFactory, hfId, newTenant, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'
import { superAdminSession, tenantSession, type Login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/**
 * JSON from clients nests at most MAX_JSON_DEPTH arrays and objects deep, in every API: deeper,
 * it is refused before it is parsed, as each API refuses invalid JSON. An annotation nested
 * 10 000 levels deep overflowed the stack (JSON.stringify) and answered 500.
 */
let t: TestApp
let admin: Login
let tenant: Awaited<ReturnType<typeof tenantSession>>
let astraCaller: Caller
let conjur: Tenant
let conjurAccess: string
let factory: string
let hfToken: string
beforeAll(async () => {
  t = await setupTestApp()
  admin = await superAdminSession(t.app)
  tenant = await tenantSession(t.app, ['admin'])
  astraCaller = await newCaller(t.app)
  conjur = await newTenant(t.app)
  factory = await createHostFactory(t.app, conjur)
  conjurAccess = await userHeader(t.app, conjur, conjur.admin)
  hfToken = (await newTokens(t.app, conjurAccess, { host_factory: hfId(conjur, factory) }))[0]!.token
})
afterAll(() => t?.close())

/** `levels` arrays around a string, e.g. 2: `[["x"]]`; brackets inside strings do not count. */
const nested = (levels: number) => `${'['.repeat(levels)}"[{x"${']'.repeat(levels)}`
const JSON_TYPE = { 'content-type': 'application/json' }

describe('JSON nested deeper than MAX_JSON_DEPTH', () => {
  it('Keystone: its invalid-JSON 400', async () => {
    // The body's own object is a level too.
    for (const levels of [MAX_JSON_DEPTH, 10_000]) {
      const response = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', headers: JSON_TYPE, payload: `{"auth":${nested(levels)}}` })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        error: {
          message: 'Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
          code: 400,
          title: 'Bad Request'
        }
      })
    }
  })

  it('but not at MAX_JSON_DEPTH: the body is read, and refused for what it says', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', headers: JSON_TYPE, payload: `{"auth":${nested(MAX_JSON_DEPTH - 1)}}` })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toMatch(/^Expecting to find (?!valid JSON)/)
  })

  it('Monitoring: its invalid-JSON badRequest', async () => {
    const response = await t.app.inject({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { ...JSON_TYPE, 'x-auth-token': tenant.token }, payload: `{"label":${nested(10_000)}}` })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ type: 'badRequest', code: 400, message: 'Invalid JSON', details: 'The request body is not valid JSON.', txnId: response.headers['x-response-id'] })
  })

  it('Astra: problem 7, whichever JSON media type', async () => {
    for (const type of [TOKEN_MEDIA, 'application/json']) {
      const response = await call(t.app, astraCaller.token, 'POST', collectionPath(astraCaller.accountId, astraCaller.userId), `{"type":"application/astra-token","version":"1.0","name":"n","metadata":{"labels":${nested(10_000)}}}`, { 'content-type': type })
      expectProblem(response, 7)
    }
  })

  it('the admin API: a 400 that says why', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { ...JSON_TYPE, 'x-auth-token': admin.token }, payload: `{"name":${nested(10_000)}}` })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: `The request body must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep.` })
  })

  it('Conjur: its body parser\'s empty 400, for an annotation or any other parameter; nothing stored', async () => {
    const host = await t.app.inject({
      method: 'POST',
      url: '/host_factories/hosts',
      headers: { ...JSON_TYPE, authorization: `Token token="${hfToken}"` },
      payload: `{"id":"deep-host","annotations":{"a":${nested(10_000)}}}`
    })
    expect(host.statusCode).toBe(400)
    expect(host.body).toBe('')
    expect(await t.database.db.selectFrom('hosts').select('id').where('account_id', '=', conjur.account.id).execute()).toEqual([])

    const tokens = await t.app.inject({
      method: 'POST',
      url: '/host_factory_tokens',
      headers: { ...JSON_TYPE, authorization: conjurAccess },
      payload: `{"host_factory":"${hfId(conjur, factory)}","expiration":"2050-01-01T00:00:00Z","cidr":${nested(10_000)}}`
    })
    expect(tokens.statusCode).toBe(400)
    expect(tokens.body).toBe('')
  })

  it('Conjur takes an annotation nested within the limit, kept as its JSON text', async () => {
    const host = await t.app.inject({
      method: 'POST',
      url: '/host_factories/hosts',
      headers: { ...JSON_TYPE, authorization: `Token token="${hfToken}"` },
      payload: `{"id":"nested-host","annotations":{"a":${nested(MAX_JSON_DEPTH - 2)}}}`
    })
    expect(host.statusCode, host.body).toBe(201)
    expect(host.json().annotations).toEqual([{ name: 'a', value: nested(MAX_JSON_DEPTH - 2) }])
  })
})

it('keeps Fastify\'s refusal of prototype keys in JSON bodies', async () => {
  const response = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { ...JSON_TYPE, 'x-auth-token': admin.token }, payload: '{"name":"x","__proto__":{"admin":true}}' })
  expect(response.statusCode).toBe(400)
  expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'The request body is not valid JSON.' })
})
