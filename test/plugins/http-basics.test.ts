import { randomUUID } from 'node:crypto'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { bootstrapAdmin } from '../../src/services/bootstrap.js'
import { insertAccount, insertUser, login, tenantSession, unique } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const KEYSTONE_MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'

let database: TestDatabase
let app: App
/** A session with the admin role on the administrators' account: it may call every route. */
let superAdmin: string
/** An admin of an account Astra's paths can name (a UUID id), with a session scoped to it. */
let astraAdmin: { accountId: string, userId: string, token: string }
const config = testConfig()

beforeAll(async () => {
  database = await createTestDatabase()
  app = await buildApp({ config, db: database.db })
  // A route of Tessera's own at the root scope, to see the root's parsers and default dialect at work.
  app.post('/test-only/echo', {
    schema: { hide: true, body: Type.Object({ name: Type.String() }, { additionalProperties: false }) }
  }, async (request) => request.body)
  app.delete('/test-only/echo', { schema: { hide: true } }, async (request) => ({ body: request.body ?? null }))
  await app.ready()
  const password = unique('pw')
  const user = unique('root')
  await bootstrapAdmin(database.db, app.credentialTools.passwords, { account: config.admin.account, user, password }, { generateIfMissing: false })
  superAdmin = (await login(app, { username: user, password, tenantId: config.admin.account })).token
  const astraAccount = await insertAccount(database.db, { id: randomUUID() })
  const astraUser = await insertUser(database.db, { accountId: astraAccount.id, roles: ['admin'] })
  const astraLogin = await login(app, { username: astraUser.user.name, password: astraUser.password, tenantId: astraAccount.id })
  astraAdmin = { accountId: astraAccount.id, userId: astraUser.user.id, token: astraLogin.token }
})
afterAll(async () => {
  await app.close()
  await database.drop()
})

describe('X-Request-Id', () => {
  it('is on every reply, a fresh UUID each time: success, refusal, unknown route', async () => {
    const replies = await Promise.all([
      app.inject({ url: '/healthz' }),
      app.inject({ url: '/v2.0/tenants' }),
      app.inject({ method: 'POST', url: '/v2.0/tokens', payload: '{', headers: { 'content-type': 'application/json' } }),
      app.inject({ url: '/no/such/route' }),
      app.inject({ url: '/v1.0/123456/agent_tokens' }),
      app.inject({ url: '/admin/v1/accounts' })
    ])
    expect(replies.map((reply) => reply.statusCode)).toEqual([200, 401, 400, 404, 401, 401])
    const ids = replies.map((reply) => reply.headers['x-request-id'])
    for (const id of ids) expect(id).toMatch(UUID)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('the JSON body parser', () => {
  it('takes an empty body with Content-Type: application/json as no body (GET and DELETE)', async () => {
    const get = await app.inject({ method: 'GET', url: '/healthz', headers: { 'content-type': 'application/json' }, payload: '' })
    expect(get.statusCode).toBe(200)
    expect(get.json()).toEqual({ status: 'ok' })

    for (const payload of ['', '  \n']) {
      const deleted = await app.inject({ method: 'DELETE', url: '/test-only/echo', headers: { 'content-type': 'application/json' }, payload })
      expect(deleted.statusCode).toBe(200)
      expect(deleted.json()).toEqual({ body: null })
    }
  })

  it('takes an empty JSON body on a real DELETE: Keystone\'s revoke-own-token', async () => {
    const { token } = await tenantSession(app, ['member'])
    const revoked = await app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': token, 'content-type': 'application/json' }, payload: '' })
    expect(revoked.statusCode).toBe(204)
    expect(revoked.body).toBe('')
    const after = await app.inject({ url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': token } })
    expect(after.statusCode).toBe(401)
  })

  it('takes an empty JSON body on an admin DELETE', async () => {
    const id = unique('del').replace(/-/g, '')
    const created = await app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { 'x-auth-token': superAdmin }, payload: { id, name: unique('del') } })
    expect(created.statusCode).toBe(201)
    const deleted = await app.inject({ method: 'DELETE', url: `/admin/v1/accounts/${id}`, headers: { 'x-auth-token': superAdmin, 'content-type': 'application/json' }, payload: '' })
    expect(deleted.statusCode).toBe(204)
  })

  it('parses a JSON body at the root scope', async () => {
    const response = await app.inject({ method: 'POST', url: '/test-only/echo', payload: { name: 'x' } })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ name: 'x' })
  })
})

describe('malformed JSON answers 400 in each dialect', () => {
  const malformed = { 'content-type': 'application/json' }

  it('Tessera\'s default dialect (root scope)', async () => {
    const response = await app.inject({ method: 'POST', url: '/test-only/echo', headers: malformed, payload: '{"name": ' })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'The request body is not valid JSON.' })
  })

  it('Tessera\'s default dialect (admin API)', async () => {
    const response = await app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: { ...malformed, 'x-auth-token': superAdmin }, payload: '{"name": ' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'The request body is not valid JSON.' })
  })

  it('Keystone', async () => {
    const response = await app.inject({ method: 'POST', url: '/v2.0/tokens', headers: malformed, payload: '{"auth": {' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ error: { message: `Expecting to find valid JSON in request body. ${KEYSTONE_MALFORMED}`, code: 400, title: 'Bad Request' } })
  })

  it('Rackspace Cloud Monitoring', async () => {
    const response = await app.inject({
      method: 'POST', url: `/v1.0/${config.admin.account}/agent_tokens`, headers: { ...malformed, 'x-auth-token': superAdmin }, payload: '{"label": '
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ type: 'badRequest', code: 400, message: 'Invalid JSON', details: 'The request body is not valid JSON.' })
  })

  it('every operation that takes a body: 400, in the shape its document promises', async () => {
    const document: { paths: Record<string, Record<string, { requestBody?: unknown, responses: Record<string, { content?: Record<string, { schema: object }> }> }>> } =
      (await app.inject({ url: '/openapi.json' })).json()
    const ajv = new Ajv2020({ strict: false })
    addFormats.default(ajv)
    const sample: Record<string, string> = { tenantId: config.admin.account, accountId: config.admin.account, userId: 'no-such-user', tokenId: 'x', role: 'member' }
    // Astra's routes find the collection before reading the body: name a real one.
    Object.assign(sample, { account_id: astraAdmin.accountId, user_id: astraAdmin.userId, token_id: randomUUID() })
    let checked = 0
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!operation.requestBody) continue
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? 'x')
        const response = await app.inject({ method: method.toUpperCase() as 'POST', url, headers: { ...malformed, 'x-auth-token': path.startsWith('/accounts/') ? astraAdmin.token : superAdmin }, payload: '{"oops": ' })
        const where = `${method.toUpperCase()} ${path}`
        expect(response.statusCode, where).toBe(400)
        const schema = operation.responses['400']?.content?.['application/json']?.schema
        expect(schema, where).toBeDefined()
        const valid = ajv.validate(schema!, response.json())
        expect(valid, `${where}: ${response.body} ${ajv.errorsText()}`).toBe(true)
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5)
  })
})

describe('other body problems at the root scope', () => {
  it('a body that is not JSON answers 400, not 415 or 500', async () => {
    const form = await app.inject({ method: 'POST', url: '/test-only/echo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' })
    expect(form.statusCode).toBe(400)
    expect(form.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'Content-Type must be application/json.' })
    // Fastify reads text/plain as a string, which the body schema then refuses.
    const text = await app.inject({ method: 'POST', url: '/test-only/echo', headers: { 'content-type': 'text/plain' }, payload: 'name=x' })
    expect(text.statusCode).toBe(400)
    expect(text.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'body must be object' })
  })

  it('a body over 1 MiB answers 413', async () => {
    const response = await app.inject({ method: 'POST', url: '/test-only/echo', payload: { name: 'x'.repeat(1024 * 1024 + 1) } })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toEqual({ statusCode: 413, code: 'TESSERA_TOO_LARGE', message: 'Request is too large.' })
  })

  it('a body of the wrong type is refused, not coerced', async () => {
    const response = await app.inject({ method: 'POST', url: '/test-only/echo', payload: { name: 123 } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ statusCode: 400, code: 'TESSERA_INVALID_INPUT', message: 'body/name must be string' })
  })
})

describe('unknown routes', () => {
  it('at the root answer 404 with the default body, without the query string', async () => {
    const response = await app.inject({ url: '/no/such/thing?secret=1' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toEqual({ statusCode: 404, code: 'TESSERA_NOT_FOUND', message: 'No route for GET /no/such/thing.' })
  })

  it('for a known path but another method answer 404 too', async () => {
    const response = await app.inject({ method: 'PUT', url: '/healthz' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ statusCode: 404, code: 'TESSERA_NOT_FOUND', message: 'No route for PUT /healthz.' })
  })

  it('under each family answer in that family\'s dialect', async () => {
    const keystone = await app.inject({ url: '/v2.0/nothing-here' })
    expect(keystone.statusCode).toBe(404)
    expect(keystone.json()).toMatchObject({ error: { code: 404, title: 'Not Found' } })

    const admin = await app.inject({ url: '/admin/v1/nothing-here' })
    expect(admin.statusCode).toBe(404)
    expect(admin.json()).toEqual({ statusCode: 404, code: 'TESSERA_NOT_FOUND', message: 'No route for GET /admin/v1/nothing-here.' })

    const monitoring = await app.inject({ url: '/v1.0/123456/nothing-here' })
    expect(monitoring.statusCode).toBe(404)
    expect(monitoring.json()).toMatchObject({ type: 'notFoundError', code: 404 })
  })
})
