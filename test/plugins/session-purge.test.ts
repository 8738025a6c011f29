import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { purgeExpiredSessions } from '../../src/db/repositories/auth-sessions.js'
import type { NewAuthSession } from '../../src/db/repositories/auth-sessions.js'
import { FAMILIES } from '../../src/families/index.js'
import { loggerOptions } from '../../src/logging.js'
import { insertTenantUser } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

let database: TestDatabase
beforeAll(async () => { database = await createTestDatabase() })
afterAll(() => database.drop())

const MINUTE = 60_000

/** A user with sessions expiring at the given offsets from now (negative = already expired). */
async function userWithSessions (offsets: number[], options: { revoked?: boolean } = {}): Promise<{ userId: string, auditIds: string[] }> {
  const { user, account } = await insertTenantUser(database.db)
  const now = Date.now()
  const rows: NewAuthSession[] = offsets.map((offset) => {
    const auditId = randomBytes(16).toString('base64url')
    return {
      audit_id: auditId,
      secret_hash: randomBytes(32),
      user_id: user.id,
      account_id: account.id,
      roles: ['member'],
      method: 'password',
      audit_chain_id: auditId,
      rescoped_from: null,
      issued_at: new Date(now + offset - 24 * 60 * MINUTE),
      expires_at: new Date(now + offset)
    }
  })
  // Inserted in chunks: one statement may carry at most 65535 parameters.
  for (let i = 0; i < rows.length; i += 1000) await database.db.insertInto('auth_sessions').values(rows.slice(i, i + 1000)).execute()
  if (options.revoked) await database.db.updateTable('auth_sessions').set({ revoked_at: new Date() }).where('user_id', '=', user.id).execute()
  return { userId: user.id, auditIds: rows.map((row) => row.audit_id) }
}

async function remaining (userId: string): Promise<string[]> {
  const rows = await database.db.selectFrom('auth_sessions').select('audit_id').where('user_id', '=', userId).orderBy('expires_at').execute()
  return rows.map((row) => row.audit_id)
}

async function purgeAll (cutoff: Date, batchSize: number): Promise<number[]> {
  const batches: number[] = []
  for (let deleted = batchSize; deleted === batchSize;) {
    deleted = await purgeExpiredSessions(database.db, cutoff, batchSize)
    batches.push(deleted)
  }
  return batches
}

describe('purgeExpiredSessions', () => {
  it('deletes expired sessions in batches, oldest first, and keeps the live ones', async () => {
    // Expired 50, 40, 30, 20 and 10 minutes ago; live for 10, 20 and 30 minutes more.
    const { userId, auditIds } = await userWithSessions([-50, -40, -30, -20, -10, 10, 20, 30].map((minutes) => minutes * MINUTE))
    const [oldest, second, third, fourth, fifth, ...live] = auditIds

    expect(await purgeExpiredSessions(database.db, new Date(), 2)).toBe(2)
    expect(await remaining(userId)).toEqual([third, fourth, fifth, ...live])
    expect(await purgeExpiredSessions(database.db, new Date(), 2)).toBe(2)
    expect(await remaining(userId)).toEqual([fifth, ...live])
    expect(await purgeExpiredSessions(database.db, new Date(), 2)).toBe(1)
    expect(await purgeExpiredSessions(database.db, new Date(), 2)).toBe(0)
    expect(await remaining(userId)).toEqual(live)
    expect([oldest, second]).not.toContain(live[0])
  })

  it('leaves sessions that expire at or after the cutoff', async () => {
    const { userId, auditIds } = await userWithSessions([-30 * MINUTE, -20 * MINUTE, -10 * MINUTE])
    const cutoff = new Date(Date.now() - 20 * MINUTE + 1000)
    expect(await purgeAll(cutoff, 100)).toEqual([2])
    expect(await remaining(userId)).toEqual([auditIds[2]])
  })

  it('keeps revoked sessions until they expire (revocation is a flag; expiry, the purge)', async () => {
    const { userId, auditIds } = await userWithSessions([-MINUTE, MINUTE], { revoked: true })
    await purgeAll(new Date(), 100)
    expect(await remaining(userId)).toEqual([auditIds[1]])
  })

  it('split between two replicas at once, deletes each expired session once and no live one', async () => {
    const { userId, auditIds } = await userWithSessions([...Array.from({ length: 40 }, (_, i) => -(i + 1) * MINUTE), MINUTE])
    const other = database.connect()
    const purge = async (db: typeof other) => {
      let total = 0
      for (let deleted = 5; deleted === 5;) {
        deleted = await purgeExpiredSessions(db, new Date(), 5)
        total += deleted
      }
      return total
    }
    const [first, second] = await Promise.all([purge(database.db), purge(other)])
    expect(first + second).toBe(40)
    expect(await remaining(userId)).toEqual([auditIds[40]])
  })
})

describe('the session-purge plugin', () => {
  it('purges every expired session each interval, batch after batch, and stops when the app closes', async () => {
    let log = ''
    const sink = new Writable({ write (chunk, _encoding, done) { log += String(chunk); done() } })
    const config = testConfig({ SESSION_PURGE_INTERVAL: '1s', LOG_LEVEL: 'info' })
    expect(config.sessionPurgeIntervalSeconds).toBe(1)
    // 2500 expired sessions: more than two of the plugin's 1000-row batches.
    const { userId, auditIds } = await userWithSessions([...Array.from({ length: 2500 }, (_, i) => -(i + 1) * 1000), 10 * MINUTE])
    const live = auditIds.at(-1)!

    const app = await buildApp({ config, db: database.db, logger: pino(loggerOptions(config, FAMILIES), sink) })
    await app.ready()
    try {
      const deadline = Date.now() + 15_000
      while ((await remaining(userId)).length > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
      expect(await remaining(userId)).toEqual([live])
      // One purge run took all three batches.
      const purged = log.trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.msg === 'expired sessions purged')
      expect(purged.map((line) => line.purged)).toContain(2500)
    } finally {
      await app.close()
    }

    const late = await userWithSessions([-MINUTE])
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(await remaining(late.userId)).toEqual(late.auditIds)
  }, 40_000)
})
