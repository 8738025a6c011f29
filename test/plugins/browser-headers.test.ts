import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { buildApp } from '../../src/app.js'
import { superAdminSession } from '../helpers/factories.js'
import { setupTestApp, testConfig, type TestApp } from '../helpers/test-app.js'

/** Helmet on the explorer and the admin API only; CORS only for the origins CORS_ORIGINS names. */
let t: TestApp
let corsApp: App
const ALLOWED = 'https://console.example.com'
beforeAll(async () => {
  t = await setupTestApp()
  corsApp = await buildApp({ config: testConfig({ CORS_ORIGINS: `${ALLOWED}, http://localhost:3000` }), db: t.database.db })
  await corsApp.ready()
})
afterAll(async () => {
  await corsApp?.close()
  await t?.close()
})

type Reply = Awaited<ReturnType<App['inject']>>

const HELMET = {
  'x-frame-options': 'SAMEORIGIN',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'x-content-type-options': 'nosniff'
}

function expectHelmet (reply: Reply): void {
  expect(reply.headers).toMatchObject(HELMET)
}

function expectNoHelmet (reply: Reply): void {
  for (const name of ['content-security-policy', 'x-frame-options', 'strict-transport-security', 'referrer-policy', 'cross-origin-resource-policy']) {
    expect(reply.headers[name], name).toBeUndefined()
  }
}

function expectNoCors (reply: Reply): void {
  expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([])
}

describe('security headers', () => {
  it('on the explorer: helmet, with swagger-ui\'s own content security policy', async () => {
    const page = await t.app.inject({ url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expectHelmet(page)
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toMatch(/default-src 'self'/)
    expect(csp).toMatch(/script-src 'self'/)
    expect(csp).toMatch(/frame-ancestors 'self'/)
    expect(csp).toMatch(/object-src 'none'/)
    const document = await t.app.inject({ url: '/openapi.json' })
    expect(document.statusCode).toBe(200)
    expectHelmet(document)
  })

  it('on the explorer over plain HTTP on any host: no upgrade-insecure-requests, which would send its scripts to https', async () => {
    for (const url of ['/docs/', '/docs/static/swagger-ui.css']) {
      const page = await t.app.inject({ url, headers: { host: 'tessera.internal:8080' } })
      expect(page.statusCode, url).toBe(200)
      const csp = String(page.headers['content-security-policy'])
      expect(csp, url).toMatch(/script-src 'self'/)
      expect(csp, url).not.toMatch(/upgrade-insecure-requests/)
    }
  })

  it('on the explorer over https, as a trusted proxy says: upgrade-insecure-requests stays', async () => {
    const proxied = await buildApp({ config: testConfig({ TRUST_PROXY: 'true' }), db: t.database.db })
    try {
      const page = await proxied.inject({ url: '/docs/', headers: { host: 'tessera.example', 'x-forwarded-proto': 'https' } })
      expect(page.statusCode).toBe(200)
      expect(String(page.headers['content-security-policy'])).toMatch(/script-src 'self'.*upgrade-insecure-requests/)
      const plain = await proxied.inject({ url: '/docs/', headers: { host: 'tessera.example', 'x-forwarded-proto': 'http' } })
      expect(String(plain.headers['content-security-policy'])).not.toMatch(/upgrade-insecure-requests/)
    } finally {
      await proxied.close()
    }
  })

  it('on the admin API, errors included: a policy that allows nothing', async () => {
    const refused = await t.app.inject({ url: '/admin/v1/accounts' })
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toEqual({ statusCode: 401, code: 'TESSERA_UNAUTHENTICATED', message: 'The request you have made requires authentication.' })
    expectHelmet(refused)
    expect(refused.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")

    const admin = await superAdminSession(t.app)
    const listed = await t.app.inject({ url: '/admin/v1/accounts?limit=1', headers: { 'x-auth-token': admin.token } })
    expect(listed.statusCode).toBe(200)
    expectHelmet(listed)
    expect(listed.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")
  })

  it('not on the four wire APIs, whose clients know their exact headers', async () => {
    for (const url of ['/v2.0', '/v1.0/123/agent_tokens', '/authn/acme/login', `/accounts/${crypto.randomUUID()}/core/v1/users/${crypto.randomUUID()}/tokens`, '/healthz']) {
      const reply = await t.app.inject({ url })
      expect(reply.statusCode, url).toBeLessThan(500)
      expectNoHelmet(reply)
    }
  })
})

describe('CORS', () => {
  it('is off without CORS_ORIGINS: no Access-Control-* header, a preflight is an unknown route', async () => {
    const simple = await t.app.inject({ url: '/v2.0', headers: { origin: ALLOWED } })
    expect(simple.statusCode).toBe(200)
    expectNoCors(simple)
    const preflight = await t.app.inject({
      method: 'OPTIONS', url: '/v2.0/tokens', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
    })
    expect(preflight.statusCode).toBe(404)
    expect(preflight.json()).toEqual({ error: { code: 404, title: 'Not Found', message: expect.stringMatching(/^\(http:\/\/localhost(:80)?\/v2\.0\/tokens\): The resource could not be found\.$/) } })
    expectNoCors(preflight)
  })

  it('answers a preflight from an allowed origin, on every family', async () => {
    for (const url of ['/v2.0/tokens', '/v1.0/123/agent_tokens', '/host_factory_tokens', '/admin/v1/accounts']) {
      const preflight = await corsApp.inject({
        method: 'OPTIONS', url, headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-auth-token' }
      })
      expect(preflight.statusCode, url).toBe(204)
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'content-type, x-auth-token',
        'access-control-max-age': '600'
      })
      expect(String(preflight.headers.vary)).toMatch(/Origin/)
    }
  })

  it('lets an allowed origin read replies and their ids, and tells any other origin nothing', async () => {
    const allowed = await corsApp.inject({ url: '/v2.0', headers: { origin: 'http://localhost:3000' } })
    expect(allowed.statusCode).toBe(200)
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:3000')
    expect(String(allowed.headers['access-control-expose-headers'])).toContain('x-request-id')
    expect(String(allowed.headers.vary)).toMatch(/Origin/)

    const other = await corsApp.inject({ url: '/v2.0', headers: { origin: 'https://evil.example' } })
    expect(other.statusCode).toBe(200)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    const otherPreflight = await corsApp.inject({ method: 'OPTIONS', url: '/v2.0/tokens', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    expect(otherPreflight.headers['access-control-allow-origin']).toBeUndefined()
  })
})
