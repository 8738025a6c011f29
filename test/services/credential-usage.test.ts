import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { CredentialUsage } from '../../src/services/credential-usage.js'
import { tenantSession } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

/** The SQL text of a raw statement (sql`…`), for telling writes from reads. */
function rawText (node: RootOperationNode): string {
  return node.kind === 'RawNode' ? node.sqlFragments.join('?') : ''
}

/**
 * Counts the statements an app sends that write (INSERT, UPDATE, DELETE, raw or built), and
 * can make those on credential_usage fail, as a database going away would.
 */
class WriteCounter implements KyselyPlugin {
  writes: string[] = []
  failUsageWrites = false
  /** Usage writes let through before failUsageWrites applies; undefined: none. */
  usageWritesBeforeFailing: number | undefined

  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    const { node } = args
    const text = rawText(node).trim().toLowerCase()
    const write = node.kind === 'InsertQueryNode' || node.kind === 'UpdateQueryNode' || node.kind === 'DeleteQueryNode' || /^(insert|update|delete)\b/.test(text)
    if (write) {
      const usage = text.includes('credential_usage')
      this.writes.push(usage ? 'credential_usage' : node.kind)
      if (usage && this.failUsageWrites) {
        if (this.usageWritesBeforeFailing === undefined || this.usageWritesBeforeFailing-- <= 0) throw new Error('the database is away')
      }
    }
    return node
  }

  transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result)
  }
}

describe('credential usage: counted in memory, flushed in batches (issue 21, item 2)', () => {
  let database: TestDatabase
  let counter: WriteCounter
  let replicaA: App
  let replicaB: App

  beforeAll(async () => {
    database = await createTestDatabase()
    counter = new WriteCounter()
    const config = testConfig()
    replicaA = await buildApp({ config, db: database.connect().withPlugin(counter) })
    replicaB = await buildApp({ config, db: database.connect().withPlugin(counter) })
    await Promise.all([replicaA.ready(), replicaB.ready()])
  })
  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close()])
    await database?.drop()
  })

  async function usageOf (accessor: string) {
    return database.db.selectFrom('credential_usage').select(['use_count', 'last_used_at']).where('accessor', '=', accessor).executeTakeFirst()
  }

  it('uses on two replicas add up after one flush each, with no write per request', async () => {
    const session = await tenantSession(replicaA, ['member'])
    const accessor = session.access.token.audit_ids[0]
    const use = (app: App) => app.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    counter.writes = []
    const before = Date.now()
    for (let i = 0; i < 30; i++) expect((await use(replicaA)).statusCode).toBe(200)
    for (let i = 0; i < 20; i++) expect((await use(replicaB)).statusCode).toBe(200)
    expect(counter.writes).toEqual([])
    expect(await usageOf(accessor)).toBeUndefined()

    await Promise.all([replicaA.credentialUsage.flush(), replicaB.credentialUsage.flush()])
    // One statement per replica for every credential it saw used.
    expect(counter.writes).toEqual(['credential_usage', 'credential_usage'])
    const usage = await usageOf(accessor)
    expect(Number(usage?.use_count)).toBe(50)
    expect(usage!.last_used_at.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(usage!.last_used_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000)

    // Nothing used since: a flush writes nothing.
    counter.writes = []
    await Promise.all([replicaA.credentialUsage.flush(), replicaB.credentialUsage.flush()])
    expect(counter.writes).toEqual([])

    // The admin API shows the sum (its holder may look it up).
    const shown = await replicaB.inject({ method: 'GET', url: `/admin/v1/accounts/${session.account.id}/credentials/${accessor}`, headers: { 'x-auth-token': session.token } })
    expect(shown.json()).toEqual(expect.objectContaining({ kind: 'session', useCount: 50, lastUsedAt: usage!.last_used_at.toISOString() }))
  })

  it('keeps the counts of a flush the database refused, and writes them with the next', async () => {
    const session = await tenantSession(replicaA, ['member'])
    const accessor = session.access.token.audit_ids[0]
    for (let i = 0; i < 3; i++) await replicaA.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    counter.failUsageWrites = true
    await replicaA.credentialUsage.flush()
    counter.failUsageWrites = false
    expect(await usageOf(accessor)).toBeUndefined()
    expect(replicaA.credentialUsage.pendingCount).toBe(1)
    await replicaA.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    await replicaA.credentialUsage.flush()
    expect(Number((await usageOf(accessor))?.use_count)).toBe(4)
  })

  it('writes once per flush however busy the replica: uses counted during a flush wait for the next', async () => {
    const usage = new CredentialUsage(database.connect().withPlugin(counter), replicaA.log)
    const [first, second] = ['agt_busy00000000000000000000000001', 'agt_busy00000000000000000000000002']
    const now = Date.now()
    counter.writes = []
    usage.record(first, now)
    const flushing = usage.flush()
    usage.record(second, now)
    usage.record(first, now)
    await flushing
    expect(counter.writes).toEqual(['credential_usage'])
    expect(usage.pendingCount).toBe(2)
    await usage.drain()
    expect(counter.writes).toEqual(['credential_usage', 'credential_usage'])
    const rows = await database.db.selectFrom('credential_usage').select(['accessor', 'use_count']).where('accessor', 'like', 'agt_busy%').orderBy('accessor').execute()
    expect(rows.map((row) => [row.accessor, Number(row.use_count)])).toEqual([[first, 2], [second, 1]])
  })

  it('writes a large flush in statements of rowsPerStatement tallies, and keeps those a failed statement and the rest did not write', async () => {
    const usage = new CredentialUsage(database.connect().withPlugin(counter), replicaA.log, { rowsPerStatement: 2 })
    const accessors = [1, 2, 3, 4, 5].map((n) => `agt_parts000000000000000000000000${n}`)
    const now = Date.now()
    for (const accessor of accessors) usage.record(accessor, now)
    counter.writes = []
    await usage.flush()
    expect(counter.writes).toEqual(['credential_usage', 'credential_usage', 'credential_usage'])
    const counts = async () => (await database.db.selectFrom('credential_usage').select(['accessor', 'use_count']).where('accessor', 'like', 'agt_parts%').orderBy('accessor').execute()).map((row) => [row.accessor, Number(row.use_count)])
    expect(await counts()).toEqual(accessors.map((accessor) => [accessor, 1]))

    // The second statement fails: the first's tallies are written, the other three kept for the next flush.
    for (const accessor of accessors) usage.record(accessor, now)
    counter.failUsageWrites = true
    counter.usageWritesBeforeFailing = 1
    await usage.flush()
    counter.failUsageWrites = false
    counter.usageWritesBeforeFailing = undefined
    expect(usage.pendingCount).toBe(3)
    expect((await counts()).filter(([, count]) => count === 2)).toHaveLength(2)
    await usage.flush()
    expect(await counts()).toEqual(accessors.map((accessor) => [accessor, 2]))
  })

  it('flushes at once when the bound on credentials counted is reached, and counts what it had no room for', async () => {
    const usage = new CredentialUsage(database.db, replicaA.log, { maxPending: 2 })
    const now = Date.now()
    usage.record('agt_bound0000000000000000000000001', now)
    expect(usage.pendingCount).toBe(1)
    // The second fills it: the flush starts at once and takes both.
    usage.record('agt_bound0000000000000000000000002', now)
    expect(usage.pendingCount).toBe(0)
    await usage.flush()
    const rows = await database.db.selectFrom('credential_usage').select(['accessor', 'use_count']).where('accessor', 'like', 'agt_bound%').orderBy('accessor').execute()
    expect(rows.map((row) => [row.accessor, Number(row.use_count)])).toEqual([['agt_bound0000000000000000000000001', 1], ['agt_bound0000000000000000000000002', 1]])
  })

  it('flushes what it counted when the app closes', async () => {
    const config = testConfig()
    const app = await buildApp({ config, db: database.connect() })
    await app.ready()
    const session = await tenantSession(app, ['member'])
    await app.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    await app.close()
    expect(Number((await usageOf(session.access.token.audit_ids[0]))?.use_count)).toBe(1)
  })
})
