import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { credentialsOf, daysAgo, insertSession } from '../helpers/ended-credentials.js'
import { eventually } from '../helpers/eventually.js'
import { insertTenantUser, superAdminSession, tenantSession } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const INTERVAL_MS = 300_000

let t: TestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
  vi.useRealTimers()
})

/** An app whose purge timer fires only when the test advances it: the explicit trigger, no waiting on a clock. */
async function appWithPurgeTimer (options: Parameters<typeof setupTestApp>[0] = {}): Promise<TestApp> {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  t = await setupTestApp(options)
  return t
}

function retentionEvents (db: Database) {
  return db.selectFrom('audit_events').selectAll().where('kind', '=', 'retention.purged').execute()
}

async function sessionUser (db: Database) {
  const { account, user } = await insertTenantUser(db)
  return { id: user.id, accountId: account.id }
}

describe('the retention plugin', () => {
  it('purges every SESSION_PURGE_INTERVAL by the app clock, as the server; super-admins see the event; it stops when the app closes', async () => {
    const real = new Date()
    // The app's clock runs 8 days ahead: sessions that ended a minute ago ended 8 days ago for it.
    const { app, database } = await appWithPurgeTimer({ clock: () => daysAgo(new Date(), -8) })
    const user = await sessionUser(database.db)
    const gone = [
      await insertSession(database.db, user, { expiresAt: new Date(real.getTime() - 60_000) }),
      await insertSession(database.db, user, { expiresAt: daysAgo(real, -30), revokedAt: new Date(real.getTime() - 60_000) })
    ]
    const kept = [
      await insertSession(database.db, user, { expiresAt: daysAgo(real, -2) }),
      await insertSession(database.db, user, { expiresAt: daysAgo(real, -30) })
    ]

    vi.advanceTimersByTime(INTERVAL_MS)
    const [event] = await eventually(async () => {
      const events = await retentionEvents(database.db)
      expect(events).toHaveLength(1)
      return events
    }, 15_000)
    expect(event).toMatchObject({ account_id: null, actor_kind: 'server', actor_name: 'tessera-retention', details: { purged: { sessions: 2, auditEvents: 0 } } })
    expect(await credentialsOf(database.db, [...gone, ...kept])).toEqual([...kept].sort())

    const admin = await superAdminSession(app)
    const listed = await app.inject({ url: `/admin/v1/accounts/${app.config.admin.account}/audit-events?kind=retention.purged`, headers: { 'x-auth-token': admin.token } })
    expect(listed.statusCode).toBe(200)
    expect(listed.json().items).toEqual([expect.objectContaining({
      kind: 'retention.purged', accountId: null, actor: { kind: 'server', id: null, name: 'tessera-retention', credential: null }, details: event!.details
    })])
    const tenant = await tenantSession(app, ['admin'])
    const own = await app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?kind=retention.purged`, headers: { 'x-auth-token': tenant.token } })
    expect(own.statusCode).toBe(200)
    expect(own.json().items).toEqual([])

    await app.close()
    // Every timer the app set is cleared: no purge runs after close.
    expect(vi.getTimerCount()).toBe(0)
  }, 30_000)

  it('with ENDED_CREDENTIAL_RETENTION_DAYS=0 purges sessions at the next run once they end, as the session purge always did', async () => {
    const { database } = await appWithPurgeTimer({ env: { ENDED_CREDENTIAL_RETENTION_DAYS: '0' } })
    const user = await sessionUser(database.db)
    const now = new Date()
    const expired = await insertSession(database.db, user, { expiresAt: new Date(now.getTime() - 1000) })
    const live = await insertSession(database.db, user, { expiresAt: new Date(now.getTime() + 3_600_000) })

    vi.advanceTimersByTime(INTERVAL_MS)
    await eventually(async () => expect(await credentialsOf(database.db, [expired, live])).toEqual([live]), 15_000)
    await eventually(async () => expect(await retentionEvents(database.db)).toEqual([expect.objectContaining({ details: expect.objectContaining({ purged: expect.objectContaining({ sessions: 1 }) }) })]))
  }, 30_000)
})
