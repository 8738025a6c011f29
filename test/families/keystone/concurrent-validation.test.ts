import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { revokeSessionsOfUser } from '../../../src/db/repositories/auth-sessions.js'
import { superAdminSession, tenantSession, type Login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

/**
 * With the caches off, concurrent validations share their lookups (db/batched-lookups.ts): each
 * request must still get its own token's session, and a revoked or unknown one in the same
 * statement must be refused alone.
 */
describe('concurrent validations with the caches off', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '0', READ_CACHE_MS: '0' } }) })
  afterAll(() => t?.close())

  it('answers each request with its own token, and refuses only the revoked and the unknown', async () => {
    const admin = await superAdminSession(t.app)
    const live: Array<Login & { user: { user: { id: string } }, account: { id: string } }> = []
    for (let i = 0; i < 12; i++) live.push(await tenantSession(t.app))
    const revoked = await tenantSession(t.app)
    await revokeSessionsOfUser(t.app.db, revoked.user.user.id)
    const unknown = 'f'.repeat(64)

    const validate = (token: string) => t.app.inject({ url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': admin.token } })
    const [refusedRevoked, refusedUnknown, ...answers] = await Promise.all([validate(revoked.token), validate(unknown), ...live.map((session) => validate(session.token))])
    expect(refusedRevoked.statusCode).toBe(404)
    expect(refusedRevoked.json()).toEqual({ error: { code: 404, title: 'Not Found', message: 'Failed to validate token' } })
    expect(refusedUnknown.statusCode).toBe(404)
    expect(refusedUnknown.json()).toEqual(refusedRevoked.json())
    answers.forEach((answer, i) => {
      expect(answer.statusCode).toBe(200)
      const { access } = answer.json()
      expect(access.token.id).toBe(live[i]!.token)
      expect(access.token.tenant.id).toBe(live[i]!.account.id)
      expect(access.user.id).toBe(live[i]!.user.user.id)
      expect(access).toEqual(live[i]!.access)
    })
  })
})
