import { PostgresQueryCompiler } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { purgeEndedCredentials, sweepCredentialUsage } from '../../src/db/repositories/retention.js'
import { CLI_CONTEXT, RETENTION_CONTEXT } from '../../src/services/audit.js'
import { ENDED_SESSIONS, retained } from '../../src/services/retained-credentials.js'
import { countPurgeable, purgeRetained, type RetentionPolicy } from '../../src/services/retention.js'
import { FAMILIES } from '../../src/families/index.js'
import {
  auditEventsOf, credentialsOf, daysAgo, insertAgentToken, insertAstraToken, insertAuditEventAt, insertHost, insertHostFactoryToken, insertSession, insertUsage, usageOf
} from '../helpers/ended-credentials.js'
import { insertTenantUser } from '../helpers/factories.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

const DEFAULTS: RetentionPolicy = { auditDays: 365, endedCredentialDays: 7 }

// Purges act on the whole database, and the counts they report are asserted exactly: a database per test.
const databases: TestDatabase[] = []
afterEach(async () => { await Promise.all(databases.splice(0).map((database) => database.drop())) })

async function freshDatabase (): Promise<TestDatabase> {
  const database = await createTestDatabase()
  databases.push(database)
  return database
}

async function tenantUser (db: Database) {
  const { account, user } = await insertTenantUser(db)
  return { accountId: account.id, user: { id: user.id, accountId: account.id } }
}

/** `db` with every statement it sends recorded, as SQL text. */
function recorded (db: Database): { db: Database, statements: string[] } {
  const statements: string[] = []
  const compiler = new PostgresQueryCompiler()
  return {
    db: db.withPlugin({
      transformQuery ({ node, queryId }) {
        statements.push(compiler.compileQuery(node, queryId).sql)
        return node
      },
      transformResult: async ({ result }) => result
    }),
    statements
  }
}

async function retentionEvents (db: Database) {
  return db.selectFrom('audit_events').selectAll().where('kind', '=', 'retention.purged').orderBy('id').execute()
}

describe('purgeRetained', () => {
  it('purges audit events older than AUDIT_RETENTION_DAYS and keeps the newer ones', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId } = await tenantUser(db)
    const [oldest, old, recent, yesterday] = await Promise.all([400, 366, 364, 1].map((days) => insertAuditEventAt(db, accountId, daysAgo(now, days))))

    const run = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now })
    expect(run.purged).toEqual({ auditEvents: 2, sessions: 0, astraTokens: 0, hostFactoryTokens: 0, credentialUsage: 0 })
    expect(run.cutoffs).toEqual({ auditEvents: daysAgo(now, 365), endedCredentials: daysAgo(now, 7) })
    expect(await auditEventsOf(db, [oldest!, old!, recent!, yesterday!])).toEqual([recent, yesterday].sort())
  })

  it('purges each kind of credential that ended before ENDED_CREDENTIAL_RETENTION_DAYS, with its use counts; keeps live and recently ended ones', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    const gone = [
      await insertSession(db, user, { expiresAt: daysAgo(now, 8) }),
      await insertSession(db, user, { expiresAt: daysAgo(now, -30), revokedAt: daysAgo(now, 8) }),
      // Expired long ago, revoked (by a kill switch) yesterday: it ended when it expired.
      await insertSession(db, user, { expiresAt: daysAgo(now, 9), revokedAt: daysAgo(now, 1) }),
      await insertAstraToken(db, user, daysAgo(now, 8)),
      await insertHostFactoryToken(db, accountId, daysAgo(now, 8))
    ]
    const kept = [
      await insertSession(db, user, { expiresAt: daysAgo(now, 6) }),
      await insertSession(db, user, { expiresAt: daysAgo(now, -1), revokedAt: daysAgo(now, 6) }),
      await insertSession(db, user, { expiresAt: daysAgo(now, -1) }),
      await insertAstraToken(db, user, daysAgo(now, 6)),
      await insertAstraToken(db, user),
      await insertHostFactoryToken(db, accountId, daysAgo(now, 6)),
      await insertHostFactoryToken(db, accountId, daysAgo(now, -1))
    ]
    await insertUsage(db, [...gone, ...kept])

    const run = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now })
    expect(run.purged).toEqual({ auditEvents: 0, sessions: 3, astraTokens: 1, hostFactoryTokens: 1, credentialUsage: 5 })
    expect(await credentialsOf(db, [...gone, ...kept])).toEqual([...kept].sort())
    expect(await usageOf(db, [...gone, ...kept])).toEqual([...kept].sort())
  })

  it('with 0 days purges every ended credential at once and keeps every audit event', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    const minuteAgo = new Date(now.getTime() - 60_000)
    const gone = [
      await insertSession(db, user, { expiresAt: minuteAgo }),
      await insertSession(db, user, { expiresAt: daysAgo(now, -1), revokedAt: minuteAgo }),
      await insertAstraToken(db, user, minuteAgo),
      await insertHostFactoryToken(db, accountId, minuteAgo)
    ]
    const live = [await insertSession(db, user, { expiresAt: new Date(now.getTime() + 60_000) }), await insertAstraToken(db, user), await insertHostFactoryToken(db, accountId, daysAgo(now, -1))]
    const ancient = await insertAuditEventAt(db, accountId, daysAgo(now, 36_500))
    const { db: watched, statements } = recorded(db)

    const run = await purgeRetained(watched, FAMILIES, RETENTION_CONTEXT, { auditDays: 0, endedCredentialDays: 0 }, { now })
    expect(run.cutoffs).toEqual({ auditEvents: null, endedCredentials: now })
    expect(run.purged).toEqual({ auditEvents: 0, sessions: 2, astraTokens: 1, hostFactoryTokens: 1, credentialUsage: 0 })
    expect(await credentialsOf(db, [...gone, ...live])).toEqual([...live].sort())
    expect(await auditEventsOf(db, [ancient])).toEqual([ancient])
    expect(statements.filter((text) => /delete from "audit_events"/.test(text))).toEqual([])
  })

  it('records one retention.purged event as the server, with the counts and cutoffs, in no account; none when nothing was purged', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    await insertSession(db, user, { expiresAt: daysAgo(now, 10) })
    await insertAuditEventAt(db, accountId, daysAgo(now, 500))

    await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now })
    const [event, ...others] = await retentionEvents(db)
    expect(others).toEqual([])
    expect(event).toMatchObject({
      account_id: null,
      actor_kind: 'server',
      actor_id: null,
      actor_name: 'tessera-retention',
      object_type: null,
      request_id: null,
      details: {
        purged: { auditEvents: 1, sessions: 1, astraTokens: 0, hostFactoryTokens: 0, credentialUsage: 0 },
        cutoffs: { auditEvents: daysAgo(now, 365).toISOString(), endedCredentials: daysAgo(now, 7).toISOString() }
      }
    })

    // Nothing more to purge: no event. The purge never takes the event it wrote, even a day later with a 1-day retention.
    await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now })
    await purgeRetained(db, FAMILIES, CLI_CONTEXT, { auditDays: 1, endedCredentialDays: 7 }, { now: daysAgo(now, -1) })
    expect((await retentionEvents(db)).map((row) => row.id)).toEqual([event!.id])
  })

  it('deletes in batches of short statements, never all at once', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    const sessions = await Promise.all(Array.from({ length: 5 }, (_, i) => insertSession(db, user, { expiresAt: daysAgo(now, 8 + i) })))
    const events = await Promise.all(Array.from({ length: 5 }, (_, i) => insertAuditEventAt(db, accountId, daysAgo(now, 400 + i))))
    const { db: watched, statements } = recorded(db)

    const run = await purgeRetained(watched, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 2 })
    expect(run.purged).toMatchObject({ sessions: 5, auditEvents: 5 })
    expect(await credentialsOf(db, sessions)).toEqual([])
    expect(await auditEventsOf(db, events)).toEqual([])
    // 2 + 2 + 1 rows each: three statements, the last one short.
    expect(statements.filter((text) => /delete from "auth_sessions"/.test(text))).toHaveLength(3)
    expect(statements.filter((text) => /delete from "audit_events"/.test(text))).toHaveLength(3)
    expect(statements.every((text) => !/delete from "(auth_sessions|audit_events)"/.test(text) || /limit \$\d+/.test(text))).toBe(true)
  })

  it('run by two replicas at once on one database, deletes each row once, fails in neither, and keeps every live row', async () => {
    const database = await freshDatabase()
    const { db } = database
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    const ended = await Promise.all(Array.from({ length: 40 }, (_, i) => insertSession(db, user, { expiresAt: daysAgo(now, 8 + i / 10) })))
    const live = await insertSession(db, user, { expiresAt: daysAgo(now, -1) })
    await insertUsage(db, [...ended, live, ...Array.from({ length: 12 }, (_, i) => `agt_gone${String(i).padStart(20, '0')}`)])
    const events = await Promise.all(Array.from({ length: 30 }, (_, i) => insertAuditEventAt(db, accountId, daysAgo(now, 400 + i))))

    const other = database.connect()
    const runs = await Promise.all([db, other].map((handle) => purgeRetained(handle, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 3 })))
    const total = (key: 'sessions' | 'auditEvents' | 'credentialUsage') => runs.reduce((sum, run) => sum + run.purged[key], 0)
    expect(total('sessions')).toBe(40)
    expect(total('auditEvents')).toBe(30)
    expect(total('credentialUsage')).toBe(52)
    expect(await credentialsOf(db, [...ended, live])).toEqual([live])
    expect(await usageOf(db, [...ended, live])).toEqual([live])
    expect(await auditEventsOf(db, events)).toEqual([])
    // Each replica records what it purged.
    const recorded = await retentionEvents(db)
    expect(recorded.reduce((sum, row) => sum + (row.details as { purged: { sessions: number } }).purged.sessions, 0)).toBe(40)
  })

  it('removes the use counts of credentials that are gone, and keeps those of every kind that is stored', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    const apiKey = await db.selectFrom('api_keys').select('accessor').where('user_id', '=', user.id).executeTakeFirstOrThrow()
    const stored = [
      await insertSession(db, user, { expiresAt: daysAgo(now, -1) }),
      apiKey.accessor,
      await insertAgentToken(db, accountId),
      await insertAstraToken(db, user),
      await insertHostFactoryToken(db, accountId, daysAgo(now, -1)),
      await insertHost(db, accountId)
    ]
    // One of each kind the credentials view lists: a kind added to the view must be added to the sweep.
    const kinds = await db.selectFrom('credentials').select('kind').distinct().where('accessor', 'in', stored).execute()
    const viewKinds = await db.selectFrom('credentials').select('kind').distinct().execute()
    expect(kinds.map((row) => row.kind).sort()).toEqual(viewKinds.map((row) => row.kind).sort())
    expect(kinds).toHaveLength(6)

    const deletedAgentToken = await insertAgentToken(db, accountId)
    await db.deleteFrom('agent_tokens').where('accessor', '=', deletedAgentToken).execute()
    const orphans = [deletedAgentToken, 'hak_0123456789abcdef0123', 'uak_0123456789abcdef0123', 'zzzzzzzzzzzzzzzzzzzzzz']
    await insertUsage(db, [...stored, ...orphans])

    expect((await countPurgeable(db, FAMILIES, DEFAULTS, now)).purged.credentialUsage).toBe(4)
    const run = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 2 })
    expect(run.purged.credentialUsage).toBe(4)
    expect(run.usageSweepAfter).toBe('')
    expect(await usageOf(db, [...stored, ...orphans])).toEqual([...stored].sort())
  })

  it('walks the use counts a few batches a run when asked, resuming where the last run stopped', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const orphans = Array.from({ length: 7 }, (_, i) => `agt_gone${String(i).padStart(20, '0')}`)
    await insertUsage(db, orphans)

    const first = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 2, usageSweep: { after: '', batches: 2 } })
    expect(first).toMatchObject({ purged: { credentialUsage: 4 }, usageSweepAfter: orphans[3] })
    expect(await usageOf(db, orphans)).toEqual(orphans.slice(4))
    const second = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 2, usageSweep: { after: first.usageSweepAfter, batches: 2 } })
    // The walk reached the end: the next one starts again from the first.
    expect(second).toMatchObject({ purged: { credentialUsage: 3 }, usageSweepAfter: '' })
    expect(await usageOf(db, orphans)).toEqual([])
  })

  it('stops between batches when told to, and still records what it purged', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { user } = await tenantUser(db)
    const sessions = await Promise.all(Array.from({ length: 5 }, (_, i) => insertSession(db, user, { expiresAt: daysAgo(now, 8 + i) })))
    let asked = 0
    const run = await purgeRetained(db, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now, batchSize: 2, stopping: () => ++asked > 1 })
    expect(run.purged).toEqual({ auditEvents: 0, sessions: 2, astraTokens: 0, hostFactoryTokens: 0, credentialUsage: 0 })
    expect(await credentialsOf(db, sessions)).toHaveLength(3)
    expect((await retentionEvents(db)).map((row) => row.details)).toEqual([expect.objectContaining({ purged: run.purged })])
  })

  it('records what it purged before a batch failed, then fails', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { accountId, user } = await tenantUser(db)
    await insertSession(db, user, { expiresAt: daysAgo(now, 8) })
    await insertAuditEventAt(db, accountId, daysAgo(now, 400))
    const failing = db.withPlugin({
      transformQuery ({ node }) {
        if (node.kind === 'DeleteQueryNode') throw new Error('the database went away')
        return node
      },
      transformResult: async ({ result }) => result
    })
    await expect(purgeRetained(failing, FAMILIES, RETENTION_CONTEXT, DEFAULTS, { now })).rejects.toThrow('the database went away')
    expect((await retentionEvents(db)).map((row) => row.details)).toEqual([expect.objectContaining({ purged: expect.objectContaining({ sessions: 1, auditEvents: 0 }) })])
  })
})

describe('purgeEndedCredentials and sweepCredentialUsage', () => {
  it('delete at most one batch per statement', async () => {
    const { db } = await freshDatabase()
    const now = new Date()
    const { user } = await tenantUser(db)
    await Promise.all(Array.from({ length: 5 }, (_, i) => insertSession(db, user, { expiresAt: daysAgo(now, 1 + i) })))
    const batches = []
    for (let i = 0; i < 4; i++) batches.push((await purgeEndedCredentials(db, ENDED_SESSIONS, now, 2)).credentials)
    expect(batches).toEqual([2, 2, 1, 0])

    await insertUsage(db, ['agt_a0000000000000000000', 'agt_b0000000000000000000', 'agt_c0000000000000000000'])
    expect(await sweepCredentialUsage(db, retained(FAMILIES).accessors, '', 2)).toEqual({ scanned: 2, deleted: 2, last: 'agt_b0000000000000000000' })
    expect(await sweepCredentialUsage(db, retained(FAMILIES).accessors, 'agt_b0000000000000000000', 2)).toEqual({ scanned: 1, deleted: 1, last: 'agt_c0000000000000000000' })
    expect(await sweepCredentialUsage(db, retained(FAMILIES).accessors, 'agt_c0000000000000000000', 2)).toEqual({ scanned: 0, deleted: 0, last: null })
  })
})
