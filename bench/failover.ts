import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sha256 } from '../src/core/secrets.js'
import { createDb } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { startReplicationCluster } from '../test/helpers/replication-cluster.js'
import { startTessera } from './processes.js'

/**
 * A failover under load (issue 24, item 4). A primary with a synchronous hot standby (loopback
 * ports, initdb + pg_basebackup -R); Tessera, its own process, with DATABASE_URL naming both hosts
 * and target_session_attrs=read-write. Validations and logins (writes) run throughout; the
 * primary is stopped (pg_ctl stop -m immediate) and the standby promoted at once (pg_ctl promote,
 * what pg_auto_failover or Patroni does after its own detection delay, not counted here).
 * Reported: the requests that failed, the seconds until every kind is served again, and the
 * acknowledged logins missing from the promoted server (must be 0).
 * Run: npm run bench -- failover   (BENCH_FAILOVER_VALIDATORS=8, BENCH_FAILOVER_WRITERS=2 in parallel)
 */
const VALIDATORS = Number(process.env.BENCH_FAILOVER_VALIDATORS ?? 8)
const WRITERS = Number(process.env.BENCH_FAILOVER_WRITERS ?? 2)
const BEFORE_MS = 3000
const AFTER_RECOVERY_MS = 3000
const GIVE_UP_MS = 60_000

interface Sample { kind: 'validate' | 'write', startedMs: number, endedMs: number, status: number, token?: string }

const password = randomBytes(12).toString('hex')
const cluster = await startReplicationCluster()
const { db } = createDb({ databaseUrl: cluster.primary.url, poolMax: 1 })
await migrateToLatest(db)
await db.destroy()
const tessera = await startTessera({
  DATABASE_URL: `postgres://postgres@127.0.0.1:${cluster.primary.port},127.0.0.1:${cluster.standby.port}/postgres?target_session_attrs=read-write`,
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  TESSERA_SECRET_KEY: randomBytes(32).toString('base64'),
  TESSERA_ADMIN_PASSWORD: password
})

try {
  const login = () => fetch(`${tessera.url}/v2.0/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { passwordCredentials: { username: 'admin', password }, tenantName: 'admin' } })
  })
  const first = await login()
  if (first.status !== 200) throw new Error(`login failed: ${first.status} ${await first.text()}`)
  const token = ((await first.json()) as { access: { token: { id: string } } }).access.token.id

  const samples: Sample[] = []
  const load = { running: true }
  const t0 = performance.now()
  const now = () => performance.now() - t0
  const loop = async (kind: Sample['kind']) => {
    while (load.running) {
      const startedMs = now()
      try {
        const response = kind === 'write' ? await login() : await fetch(`${tessera.url}/v2.0/tenants`, { headers: { 'x-auth-token': token } })
        const body = await response.text()
        samples.push({ kind, startedMs, endedMs: now(), status: response.status, token: kind === 'write' && response.status === 200 ? JSON.parse(body).access.token.id : undefined })
      } catch {
        samples.push({ kind, startedMs, endedMs: now(), status: 0 })
      }
      // A refused request comes back at once: pace the retries as a client would.
      if (samples.at(-1)!.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const loops = [...Array.from({ length: VALIDATORS }, () => loop('validate')), ...Array.from({ length: WRITERS }, () => loop('write'))]

  await new Promise((resolve) => setTimeout(resolve, BEFORE_MS))
  const stoppedMs = now()
  await cluster.primary.stop('immediate')
  const promoteStartedMs = now()
  await cluster.standby.promote()
  const promotedMs = now()
  // Served again: a write and a validation both answered 200, each begun after the promotion.
  const deadline = performance.now() + GIVE_UP_MS
  while (performance.now() < deadline && !(['write', 'validate'] as const).every((kind) => samples.some((sample) => sample.kind === kind && sample.status === 200 && sample.startedMs > promotedMs))) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await new Promise((resolve) => setTimeout(resolve, AFTER_RECOVERY_MS))
  load.running = false
  await Promise.all(loops)

  const failures = samples.filter((sample) => sample.status !== 200)
  const lastFailureMs = Math.max(stoppedMs, ...failures.map((sample) => sample.endedMs))
  const acknowledged = samples.filter((sample) => sample.token !== undefined).map((sample) => sample.token!)
  const [{ count: stored }] = await cluster.standby.query('select count(*)::int as count from auth_sessions where secret_hash = any($1::bytea[])', [acknowledged.map((each) => sha256(each))])
  const byStatus: Record<string, number> = {}
  for (const failure of failures) byStatus[`${failure.kind} ${failure.status}`] = (byStatus[`${failure.kind} ${failure.status}`] ?? 0) + 1
  const figures = {
    validators: VALIDATORS,
    writers: WRITERS,
    requests: samples.length,
    failed: failures.length,
    failedByKindAndStatus: byStatus,
    failedBeforeStop: failures.filter((sample) => sample.endedMs < stoppedMs).length,
    stopSeconds: +((promoteStartedMs - stoppedMs) / 1000).toFixed(2),
    promoteSeconds: +((promotedMs - promoteStartedMs) / 1000).toFixed(2),
    recoveredSecondsAfterStop: +((lastFailureMs - stoppedMs) / 1000).toFixed(2),
    recoveredSecondsAfterPromotion: +(Math.max(0, lastFailureMs - promotedMs) / 1000).toFixed(2),
    acknowledgedWrites: acknowledged.length,
    acknowledgedWritesLost: acknowledged.length - stored
  }
  console.log(JSON.stringify(figures, null, 2))
  if (figures.acknowledgedWritesLost !== 0) process.exitCode = 1
} finally {
  await tessera.stop()
  await cluster.destroy()
}
