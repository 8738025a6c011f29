import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { App } from '../../src/app.js'
import type { Database } from '../../src/db/database.js'
import { eventually, NOTIFIED_WITHIN_MS } from '../helpers/eventually.js'
import { superAdminSession, tenantSession } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const UNAUTHORIZED = { error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } }

/** GET /v2.0/tenants with `token`: 200 while the session lives, Keystone's 401 once it has ended. */
async function tenantsWith (app: App, token: string): Promise<number> {
  const response = await app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': token } })
  if (response.statusCode === 401) expect(response.json()).toEqual(UNAUTHORIZED)
  return response.statusCode
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

describe('the credential cache, on the replica that changes a credential', () => {
  let t: TestApp
  // 60 s: any refusal below comes from invalidation, never from an entry running out.
  beforeAll(async () => { t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } }) })
  afterAll(() => t?.close())

  it('answers validations from memory, and refuses a revoked or disabled credential at once', async () => {
    await eventually(() => expect(t.app.credentialCache.enabled).toBe(true))
    const admin = await superAdminSession(t.app)
    const first = await tenantSession(t.app)
    expect(await tenantsWith(t.app, first.token)).toBe(200)
    expect(t.app.credentialCache.size).toBeGreaterThan(0)

    const revoke = await t.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${first.token}`, headers: { 'x-auth-token': admin.token } })
    expect(revoke.statusCode).toBe(204)
    expect(await tenantsWith(t.app, first.token)).toBe(401)

    const second = await tenantSession(t.app)
    expect(await tenantsWith(t.app, second.token)).toBe(200)
    const disable = await t.app.inject({
      method: 'PATCH', url: `/admin/v1/accounts/${second.account.id}/users/${second.user.user.id}`, headers: { 'x-auth-token': admin.token }, payload: { enabled: false }
    })
    expect(disable.statusCode).toBe(200)
    expect(await tenantsWith(t.app, second.token)).toBe(401)
  })
})

describe.runIf(inject('testDatabase').kind === 'postgres')('the credential cache across replicas (PostgreSQL notifications)', () => {
  let t: TestApp
  let a: App
  let b: App
  /** A connection of its own, as the CLI or an operator's psql would write. */
  let outsider: Database
  let adminToken: string

  beforeAll(async () => {
    t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } })
    a = t.app
    b = await t.replica()
    outsider = t.database.connect()
    adminToken = (await superAdminSession(a)).token
  })
  afterAll(() => t?.close())

  const listening = () => eventually(() => { expect(a.credentialCache.enabled).toBe(true); expect(b.credentialCache.enabled).toBe(true) })

  it('refuses on replica B, within milliseconds, a session revoked on replica A', async () => {
    await listening()
    const trials = 100
    const sessions = []
    for (let i = 0; i < trials; i++) sessions.push(await tenantSession(a))
    const delays: number[] = []
    for (const session of sessions) {
      expect(await tenantsWith(b, session.token)).toBe(200)
      expect(await tenantsWith(b, session.token)).toBe(200)
      const revoke = await a.inject({ method: 'DELETE', url: `/v2.0/tokens/${session.token}`, headers: { 'x-auth-token': adminToken } })
      expect(revoke.statusCode).toBe(204)
      const revokedAt = performance.now()
      await eventually(async () => expect(await tenantsWith(b, session.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
      delays.push(performance.now() - revokedAt)
    }
    console.info(`cross-replica revocation over ${trials} trials: p50 ${percentile(delays, 50).toFixed(1)} ms, p99 ${percentile(delays, 99).toFixed(1)} ms, max ${Math.max(...delays).toFixed(1)} ms`)
  }, 60_000)

  it('hears of revocations and disabled users written straight into the database, by anyone', async () => {
    await listening()
    const revoked = await tenantSession(a)
    const disabled = await tenantSession(a)
    for (const app of [a, b]) {
      expect(await tenantsWith(app, revoked.token)).toBe(200)
      expect(await tenantsWith(app, disabled.token)).toBe(200)
    }
    await outsider.updateTable('auth_sessions').set({ revoked_at: sql<Date>`now()` }).where('user_id', '=', revoked.user.user.id).execute()
    await outsider.updateTable('users').set({ enabled: false }).where('id', '=', disabled.user.user.id).execute()
    for (const app of [a, b]) {
      await eventually(async () => expect(await tenantsWith(app, revoked.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
      await eventually(async () => expect(await tenantsWith(app, disabled.token)).toBe(401), NOTIFIED_WITHIN_MS, 1)
    }
  })

  it('without its notification connection, asks the database every time, and caches again once it is back', async () => {
    await listening()
    const session = await tenantSession(a)
    expect(await tenantsWith(b, session.token)).toBe(200)

    const { rows } = await sql<{ database: string }>`select current_database() as database`.execute(outsider)
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'tessera-notify' and datname = ${rows[0]!.database}`.execute(outsider)
    await eventually(() => { expect(a.credentialCache.enabled).toBe(false); expect(b.credentialCache.enabled).toBe(false) })

    // Nothing would tell B of this revocation: with its cache off, it reads it at once.
    expect(await tenantsWith(b, session.token)).toBe(200)
    await outsider.updateTable('auth_sessions').set({ revoked_at: sql<Date>`now()` }).where('user_id', '=', session.user.user.id).execute()
    expect(await tenantsWith(b, session.token)).toBe(401)

    await listening()
    const next = await tenantSession(a)
    expect(await tenantsWith(b, next.token)).toBe(200)
    expect(b.credentialCache.size).toBeGreaterThan(0)
  }, 30_000)
})
