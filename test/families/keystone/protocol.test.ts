import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser, tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

const MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const V2_ENTRY = (base: string) => ({
  id: 'v2.0',
  status: 'stable',
  updated: '2014-04-17T00:00:00Z',
  links: [
    { rel: 'self', href: `${base}/v2.0/` },
    { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' }
  ],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v2.0+json' }]
})

describe('Keystone protocol rules (spec §0–§2)', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  describe('version discovery', () => {
    it('GET / answers 300 Multiple Choices with the v2.0 entry', async () => {
      const response = await t.app.inject({ url: '/', headers: { host: 'keystone.test:5000' } })
      expect(response.statusCode).toBe(300)
      expect(response.headers.vary).toBe('X-Auth-Token')
      expect(response.json()).toEqual({ versions: { values: [V2_ENTRY('http://keystone.test:5000')] } })
    })

    it('GET /v2.0 and /v2.0/ answer 200 with the version document', async () => {
      for (const url of ['/v2.0', '/v2.0/']) {
        const response = await t.app.inject({ url })
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({ version: V2_ENTRY('http://localhost:80') })
      }
    })

    it('uses PUBLIC_URL when configured', async () => {
      const configured = await setupTestApp({ env: { PUBLIC_URL: 'https://identity.example.com/' } })
      try {
        const response = await configured.app.inject({ url: '/v2.0' })
        expect(response.json().version.links[0].href).toBe('https://identity.example.com/v2.0/')
      } finally {
        await configured.close()
      }
    })

    it('honours X-Forwarded-Proto and -Host only with TRUST_PROXY', async () => {
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example.com' }
      expect((await t.app.inject({ url: '/v2.0', headers })).json().version.links[0].href).toBe('http://localhost:80/v2.0/')
      const proxied = await setupTestApp({ env: { TRUST_PROXY: 'true' } })
      try {
        expect((await proxied.app.inject({ url: '/v2.0', headers })).json().version.links[0].href).toBe('https://id.example.com/v2.0/')
      } finally {
        await proxied.close()
      }
    })
  })

  describe('headers', () => {
    it('sends Vary and X-Openstack-Request-Id on successes, errors and unknown routes', async () => {
      const session = await tenantSession(t.app)
      const replies = [
        await t.app.inject({ url: '/v2.0' }),
        await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } }),
        await t.app.inject({ url: '/v2.0/tenants' }),
        await t.app.inject({ url: '/v2.0/no-such-thing' })
      ]
      const ids = new Set<string>()
      for (const reply of replies) {
        expect(reply.headers.vary).toBe('X-Auth-Token')
        expect(reply.headers['x-openstack-request-id']).toMatch(REQUEST_ID)
        ids.add(reply.headers['x-openstack-request-id'] as string)
      }
      expect(ids.size).toBe(replies.length)
    })

    it('answers a successful POST with 200, not 201', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const response = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password } } } })
      expect(response.statusCode).toBe(200)
    })
  })

  describe('routing', () => {
    it('answers unknown paths and wrong methods with 404 in the Keystone shape (§0.5)', async () => {
      for (const [method, url] of [['GET', '/v2.0/nothing'], ['PUT', '/v2.0/tokens'], ['PATCH', '/v2.0/tenants'], ['POST', '/v2.0/tenants']] as const) {
        const response = await t.app.inject({ method, url })
        expect(response.statusCode, `${method} ${url}`).toBe(404)
        expect(response.json()).toEqual({ error: { message: `(http://localhost:80${url}): The resource could not be found.`, code: 404, title: 'Not Found' } })
      }
    })

    it('treats a trailing slash and a doubled slash as the plain path (fog sends /v2.0//tokens)', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      for (const url of ['/v2.0/tokens/', '/v2.0//tokens']) {
        const response = await t.app.inject({ method: 'POST', url, payload: { auth: { passwordCredentials: { username: user.name, password } } } })
        expect(response.statusCode, url).toBe(200)
      }
    })
  })

  describe('request bodies (§0.3, §0.4)', () => {
    const post = (payload: string | Buffer, headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload, headers })

    it('accepts a body without Content-Type as JSON, and Content-Type parameters', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const body = JSON.stringify({ auth: { passwordCredentials: { username: user.name, password } } })
      expect((await post(body, {})).statusCode).toBe(200)
      expect((await post(body, { 'content-type': 'application/json; charset=UTF-8' })).statusCode).toBe(200)
    })

    it('refuses another media type with 400, text/plain included, whatever the body', async () => {
      const { user, password } = await insertTenantUser(t.app.db)
      const json = JSON.stringify({ auth: { passwordCredentials: { username: user.name, password } } })
      for (const [payload, contentType] of [
        ['auth=x', 'application/x-www-form-urlencoded'],
        [json, 'text/plain'],
        [json, 'text/plain; charset=utf-8'],
        [json, 'application/xml'],
        [json, 'application/json-patch+json']
      ]) {
        const response = await post(payload!, { 'content-type': contentType! })
        expect({ contentType, status: response.statusCode, body: response.json() }).toEqual({
          contentType,
          status: 400,
          body: { error: { message: `Expecting to find application/json in Content-Type header. ${MALFORMED}`, code: 400, title: 'Bad Request' } }
        })
      }
    })

    it('refuses malformed JSON with 400', async () => {
      const response = await post('{"auth": ', { 'content-type': 'application/json' })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({ error: { message: `Expecting to find valid JSON in request body. ${MALFORMED}`, code: 400, title: 'Bad Request' } })
    })

    it('treats an empty body as {} (400: no auth)', async () => {
      const response = await post('', { 'content-type': 'application/json' })
      expect(response.statusCode).toBe(400)
      expect(response.json().error.message).toBe(`Expecting to find auth in request body. ${MALFORMED}`)
    })

    it('refuses bodies over 114688 bytes with 413, and accepts one just under', async () => {
      const overhead = JSON.stringify({ auth: {}, pad: '' }).length
      const padding = (size: number) => JSON.stringify({ auth: {}, pad: 'x'.repeat(size - overhead) })
      expect(Buffer.byteLength(padding(114688))).toBe(114688)
      const atLimit = await post(padding(114688), { 'content-type': 'application/json' })
      expect(atLimit.statusCode).toBe(400)
      const over = await post(padding(114689), { 'content-type': 'application/json' })
      expect(over.statusCode).toBe(413)
      expect(over.json()).toEqual({ error: { message: 'Request is too large.', code: 413, title: 'Request Entity Too Large' } })
    })
  })

  describe('one principal for every header dialect', () => {
    it('accepts a session as X-Auth-Token and as an Authorization bearer token', async () => {
      const session = await tenantSession(t.app)
      for (const headers of [{ 'x-auth-token': session.token }, { authorization: `Bearer ${session.token}` }, { authorization: `bearer  ${session.token} ` }]) {
        const response = await t.app.inject({ url: '/v2.0/tenants', headers })
        expect(response.statusCode, JSON.stringify(headers)).toBe(200)
        expect(response.json().tenants.map((tenant: { id: string }) => tenant.id)).toEqual([session.account.id])
      }
    })

    it('prefers X-Auth-Token over Authorization, and refuses a session sent as a Conjur token', async () => {
      const session = await tenantSession(t.app)
      const both = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': 'nonsense', authorization: `Bearer ${session.token}` } })
      expect(both.statusCode).toBe(401)
      const conjur = await t.app.inject({ url: '/v2.0/tenants', headers: { authorization: `Token token="${session.token}"` } })
      expect(conjur.statusCode).toBe(401)
    })

    it('refuses an oversized credential without looking it up', async () => {
      const response = await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': 'x'.repeat(9000) } })
      expect(response.statusCode).toBe(401)
    })
  })
})
