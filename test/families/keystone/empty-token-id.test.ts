import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

/**
 * `DELETE /v2.0/tokens/` names an empty token id. The router forgives trailing slashes, which
 * would make it Rackspace's `DELETE /v2.0/tokens` (revoke the caller's own token): it must not.
 */
describe('DELETE /v2.0/tokens/ (an empty token id)', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  const notFound = (url: string) => ({ error: { message: `(http://localhost:80${url}): The resource could not be found.`, code: 404, title: 'Not Found' } })
  const stillValid = async (token: string) => (await t.app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': token } })).statusCode

  it.each(['/v2.0/tokens/', '/v2.0//tokens//', '/v2.0/tokens/?x=1'])('%s: 404 in Keystone\'s words, and the caller\'s token stays valid', async (url) => {
    const { token } = await tenantSession(t.app, ['member'])
    const response = await t.app.inject({ method: 'DELETE', url, headers: { 'x-auth-token': token } })
    expect(response.statusCode).toBe(404)
    expect(response.headers['x-openstack-request-id']).toMatch(/^req-/)
    expect(response.json()).toEqual(notFound(url))
    expect(await stillValid(token)).toBe(200)
  })

  it('is 404 without a token too, as an unknown route is', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/v2.0/tokens/' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual(notFound('/v2.0/tokens/'))
  })

  it('leaves DELETE /v2.0/tokens revoking the caller\'s own token', async () => {
    const { token } = await tenantSession(t.app, ['member'])
    const response = await t.app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': token } })
    expect(response.statusCode).toBe(204)
    expect(await stillValid(token)).toBe(401)
  })
})
