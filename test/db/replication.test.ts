import { sql } from 'kysely'
import type { Logger } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { sha256 } from '../../src/core/secrets.js'
import { createDb, originOf, type Database } from '../../src/db/database.js'
import { FAMILIES } from '../../src/families/index.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { ReadReplicas } from '../../src/db/read-replicas.js'
import { eventually } from '../helpers/eventually.js'
import { login, superAdminSession, tenantSession, type Login } from '../helpers/factories.js'
import { REQUIRE_CLIENTS } from '../helpers/real-clients.js'
import { replicationClusterUnavailable, startReplicationCluster, type ClusterServer, type ReplicationCluster } from '../helpers/replication-cluster.js'
import { capturedLog } from '../helpers/captured-log.js'
import { testConfig } from '../helpers/test-app.js'
import { freePort } from '../server/server-process.js'

const UNAUTHORIZED_BODY = { error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } }
const unavailable = replicationClusterUnavailable()

// CI installs the binaries (TESSERA_REQUIRE_CLIENTS=1): there, a missing one fails rather than skips.
describe.runIf(unavailable !== undefined && REQUIRE_CLIENTS)('a primary with a hot standby (required: TESSERA_REQUIRE_CLIENTS=1)', () => {
  it('has the PostgreSQL server binaries and pgbouncer', () => {
    expect(unavailable).toBeUndefined()
  })
})

describe.runIf(unavailable === undefined)(`a primary with a hot standby and pgbouncer, on loopback ports of the test's own${unavailable ? `; skipped: ${unavailable}` : ''}`, () => {
  let cluster: ReplicationCluster
  const apps: { app: App, db: Database }[] = []
  let admin: Login

  /** An app (a Tessera replica) with its own pool, as another process would have; caches off unless asked. */
  async function startApp (options: { databaseUrl: string, readUrls?: string[], directUrl?: string }, env: Record<string, string> = {}, logger?: Logger): Promise<{ app: App, db: Database }> {
    const config = testConfig({ CREDENTIAL_CACHE_SECONDS: '0', READ_CACHE_MS: '0', ...env })
    const { db } = createDb({ ...options, primaryOnlyTables: FAMILIES.flatMap((family) => family.primaryOnlyTables ?? []), poolMax: 6, timeouts: { connectMs: 2000, queryMs: 5000 } })
    const app = await buildApp({ config, db, logger })
    apps.push({ app, db })
    return { app, db }
  }

  const replicasOf = (db: Database): ReadReplicas => {
    const origin = originOf(db)
    if (origin?.kind !== 'postgres' || !origin.replicas) throw new Error('no read replicas')
    return origin.replicas
  }
  /** Statements reading auth_sessions that `server` ran, by its own count (pg_stat_statements). */
  const sessionReads = async (server: ClusterServer) =>
    Number((await server.query("select coalesce(sum(calls), 0)::int as calls from pg_stat_statements where query ilike 'select%auth_sessions%'"))[0].calls)
  const tenants = (app: App, token: string) => app.inject({ method: 'GET', url: '/v2.0/tenants', headers: { 'x-auth-token': token } })
  const expectValid = async (app: App, token: string) => expect((await tenants(app, token)).statusCode).toBe(200)
  const expectRefused = async (app: App, token: string) => {
    const response = await tenants(app, token)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(UNAUTHORIZED_BODY)
  }
  const revoke = async (app: App, token: string) => {
    const response = await app.inject({ method: 'DELETE', url: `/v2.0/tokens/${token}`, headers: { 'x-auth-token': admin.token } })
    expect(response.statusCode).toBe(204)
  }

  beforeAll(async () => {
    cluster = await startReplicationCluster()
    const { db } = createDb({ databaseUrl: cluster.primary.url, poolMax: 1 })
    await migrateToLatest(db)
    await sql`create extension pg_stat_statements`.execute(db)
    await db.destroy()
  })
  afterAll(async () => {
    for (const { app, db } of apps.reverse()) {
      await app.close()
      await db.destroy()
    }
    await cluster?.destroy()
  })

  it('serves reads from the standby, and a token just issued validates at once', async () => {
    const { app, db } = await startApp({ databaseUrl: cluster.primary.url, readUrls: [cluster.standby.url] })
    const replicas = replicasOf(db)
    await eventually(() => expect(replicas.trusted).toBe(true))
    admin = await superAdminSession(app)
    // No wait between issue and use: the standby may not have it yet, and the primary answers.
    const subject = await tenantSession(app, ['member'])
    await expectValid(app, subject.token)

    await cluster.standby.caughtUp()
    await eventually(() => expect(replicas.trusted).toBe(true))
    const before = { ...replicas.stats }
    const ranBefore = await sessionReads(cluster.standby)
    for (let i = 0; i < 5; i++) await expectValid(app, subject.token)
    // Each validation reads the session, then the tenant list: a standby answered them, as it counts itself.
    expect(replicas.stats.standby - before.standby).toBeGreaterThanOrEqual(5)
    expect(await sessionReads(cluster.standby) - ranBefore).toBeGreaterThanOrEqual(5)
    const scrape = await app.inject({ method: 'GET', url: '/metrics' })
    expect(scrape.statusCode).toBe(200)
    const served = Number(/^tessera_db_replica_reads_total\{server="standby"\} (\d+)$/m.exec(scrape.body)?.[1])
    expect(served).toBe(replicas.stats.standby)
  })

  it('never answers a revoked token as valid from a standby whose replay is paused, on any replica of Tessera', async () => {
    const a = await startApp({ databaseUrl: cluster.primary.url, readUrls: [cluster.standby.url] })
    const b = await startApp({ databaseUrl: cluster.primary.url, readUrls: [cluster.standby.url] })
    await eventually(() => expect(replicasOf(a.db).trusted && replicasOf(b.db).trusted).toBe(true))
    const subject = await tenantSession(a.app, ['member'])
    await cluster.standby.caughtUp()
    await eventually(() => expect(replicasOf(b.db).trusted).toBe(true))
    const served = replicasOf(b.db).stats.standby
    await expectValid(b.app, subject.token)
    expect(replicasOf(b.db).stats.standby).toBeGreaterThan(served)

    await cluster.standby.query('select pg_wal_replay_pause()')
    await eventually(async () => expect((await cluster.standby.query('select pg_get_wal_replay_pause_state()::text as state'))[0].state).toBe('paused'))
    try {
      // B makes no change of its own: only the revocation's notification moves its horizon.
      const heard = replicasOf(b.db).horizon
      await revoke(a.app, subject.token)
      // The replica that revoked it knows at once (its own write).
      await expectRefused(a.app, subject.token)
      // The other hears the notification; from then on, nothing older than the revocation answers.
      await eventually(() => expect(replicasOf(b.db).trusted && replicasOf(b.db).horizon > heard).toBe(true))
      await expectRefused(b.app, subject.token)
      // The standby still holds it as live: only the primary could have refused it.
      const [row] = await cluster.standby.query('select revoked_at from auth_sessions where user_id = $1', [subject.user.user.id])
      expect(row).toEqual({ revoked_at: null })

      // A token issued while the standby is frozen validates at once on both.
      const fresh = await tenantSession(a.app, ['member'])
      await expectValid(b.app, fresh.token)
      await expectValid(a.app, fresh.token)
      // Also when concurrent lookups share one statement with tokens the standby does hold: the
      // standby's answer lacks only the fresh one, which the primary then finds.
      const known = await tenantSession(a.app, ['member'])
      await cluster.standby.query('select pg_wal_replay_resume()')
      await cluster.standby.caughtUp()
      await cluster.standby.query('select pg_wal_replay_pause()')
      await eventually(() => expect(replicasOf(b.db).trusted).toBe(true))
      // The same user logs in again: a new session, and no change anybody is notified of.
      const another = await login(a.app, { username: known.user.user.name, password: known.user.password, tenantId: known.account.id })
      const standbyAnswered = replicasOf(b.db).stats.standby
      const answers = await Promise.all([known, another, known, another, known, another].map(({ token }) => tenants(b.app, token)))
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array(6).fill(200))
      expect(replicasOf(b.db).stats.standby).toBeGreaterThan(standbyAnswered)
    } finally {
      await cluster.standby.query('select pg_wal_replay_resume()')
    }
    await cluster.standby.caughtUp()
    await expectRefused(b.app, subject.token)
  })

  it('reads from the primary when a standby is down, logging it once, never failing a request', async () => {
    const { log, lines } = capturedLog('warn')
    const { app, db } = await startApp({ databaseUrl: cluster.primary.url, readUrls: [`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, cluster.standby.url] }, {}, log)
    const replicas = replicasOf(db)
    await eventually(() => expect(replicas.trusted).toBe(true))
    const subject = await tenantSession(app, ['member'])
    await cluster.standby.caughtUp()
    const answers = await Promise.all(Array.from({ length: 10 }, () => tenants(app, subject.token)))
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(10).fill(200))
    for (let i = 0; i < 10; i++) await expectValid(app, subject.token)
    const warnings = lines.filter((line) => line.msg === 'read replica failed: reads go to the primary until it answers again')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ standby: expect.stringMatching(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/), err: { code: 'ECONNREFUSED' } })
  })

  it('works behind pgbouncer in transaction mode, its LISTEN connection direct', async () => {
    const pooled = await startApp({ databaseUrl: cluster.pooler.url, directUrl: cluster.primary.url }, { CREDENTIAL_CACHE_SECONDS: '60' })
    await eventually(() => expect(pooled.app.credentialCache.enabled).toBe(true))
    const direct = await startApp({ databaseUrl: cluster.primary.url })
    const subject = await tenantSession(pooled.app, ['member'])
    // Several pooled connections at once, each statement on whichever server connection is free.
    const answers = await Promise.all(Array.from({ length: 20 }, () => tenants(pooled.app, subject.token)))
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200))
    expect(answers[0]!.json().tenants).toEqual([expect.objectContaining({ id: subject.account.id })])
    const pooledAdmin = await superAdminSession(pooled.app)
    const revoked = await pooled.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${subject.token}`, headers: { 'x-auth-token': pooledAdmin.token } })
    expect(revoked.statusCode).toBe(204)
    await expectRefused(pooled.app, subject.token)

    // Cached for a minute here, revoked by another process: only the notification can end it in time.
    const other = await tenantSession(pooled.app, ['member'])
    await expectValid(pooled.app, other.token)
    const response = await direct.app.inject({ method: 'DELETE', url: `/v2.0/tokens/${other.token}`, headers: { 'x-auth-token': pooledAdmin.token } })
    expect(response.statusCode).toBe(204)
    await eventually(() => expectRefused(pooled.app, other.token))
  })

  it('with target_session_attrs=read-write, passes over a standby listed first, and answers 503 when only a standby is listed', async () => {
    const list = (...ports: number[]) => `postgres://postgres@${ports.map((port) => `127.0.0.1:${port}`).join(',')}/postgres?target_session_attrs=read-write`
    const { app } = await startApp({ databaseUrl: list(cluster.standby.port, cluster.primary.port) })
    const subject = await tenantSession(app, ['member'])
    await expectValid(app, subject.token)
    const standbyOnly = await startApp({ databaseUrl: list(cluster.standby.port) })
    const response = await tenants(standbyOnly.app, subject.token)
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(response.json()).toEqual({ error: { message: expect.any(String), code: 503, title: 'Service Unavailable' } })
  })

  it('serves again without a restart when the primary stops and the standby is promoted, losing no acknowledged write', async () => {
    const hosts = `postgres://postgres@127.0.0.1:${cluster.primary.port},127.0.0.1:${cluster.standby.port}/postgres?target_session_attrs=read-write`
    // The cache on: it is on only while the LISTEN connection is, which must find the promoted server too.
    const { app } = await startApp({ databaseUrl: hosts }, { CREDENTIAL_CACHE_SECONDS: '60' })
    await eventually(() => expect(app.credentialCache.enabled).toBe(true))
    const { account, user } = await tenantSession(app, ['member'])
    const issue = () => app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.user.name, password: user.password }, tenantId: account.id } } })
    // Acknowledged before the stop: synchronous_standby_names puts each commit on the standby first.
    const acknowledged: string[] = []
    for (let i = 0; i < 5; i++) {
      const response = await issue()
      expect(response.statusCode).toBe(200)
      acknowledged.push(response.json().access.token.id)
    }

    await cluster.primary.stop('immediate')
    const stopped = Date.now()
    // Writes fail (503, never a 500) until the standby is promoted; then one succeeds on it.
    const refusals: string[] = []
    const promoted = cluster.standby.promote()
    await eventually(async () => {
      const response = await issue()
      if (response.statusCode !== 200) {
        refusals.push(`${response.statusCode} ${response.body}`)
        throw new Error(`answered ${response.statusCode}`)
      }
      acknowledged.push(response.json().access.token.id)
    }, 30_000, 50)
    await promoted
    expect(refusals.filter((refusal) => !refusal.startsWith('503 '))).toEqual([])
    const failed = refusals.length
    console.info(`failover: ${failed} requests failed, serving again ${((Date.now() - stopped) / 1000).toFixed(2)} s after the stop`)
    const stored = await cluster.standby.query('select count(*)::int as count from auth_sessions where secret_hash = any($1::bytea[])', [acknowledged.map((token) => sha256(token))])
    expect(stored).toEqual([{ count: acknowledged.length }])
    for (const token of acknowledged) await expectValid(app, token)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true))
  }, 60_000)
})
