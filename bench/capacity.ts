import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { sql } from 'kysely'
import type { Database } from '../src/db/database.js'
import { cpuMicrosPerRequest, withCpu, type CpuRun } from './cpu.js'
import { benchDatabase } from './lib.js'
import { http, measure, type HttpTarget, type LoadFigures, type Workload } from './load.js'
import { startTessera, type BenchProcess } from './processes.js'
import { createTenant, keystoneLogin } from './tessera-client.js'

/**
 * `npm run bench -- capacity`: what one request costs, as capacity planning needs it: CPU µs of
 * Tessera's process and of PostgreSQL's backends, and bytes of WAL the primary writes, per
 * validation (cached, and with the caches off) and per issuance (API key, password, agent
 * token). Then the replicas and cores a given rate needs at CAPACITY_UTILISATION of each core.
 * Writes bench/results/capacity-<time>.md and capacity-latest.md; docs/capacity.md quotes it.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
/** A core is planned at this share of its time, leaving room for bursts and garbage collection. */
const UTILISATION = Number(process.env.CAPACITY_UTILISATION ?? 0.7)
const ADMIN_PASSWORD = 'bench admin password'
const timing = { seconds: SECONDS, warmupSeconds: Math.min(2, SECONDS), runs: RUNS }

interface Cost { id: string, name: string, figures: LoadFigures, tesseraUs: number, postgresUs: number, walBytes: number }

const walPosition = async (db: Database) => BigInt((await sql<{ bytes: string }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as bytes`.execute(db)).rows[0]!.bytes)

/** `workload`, also counting the WAL the cluster wrote during its timed runs. */
function withWal (workload: Workload, db: Database, into: { bytes: bigint }): Workload {
  return {
    async run (seconds) {
      const before = await walPosition(db)
      const run = await workload.run(seconds)
      into.bytes += await walPosition(db) - before
      return run
    }
  }
}

async function cost (tessera: BenchProcess, db: Database, id: string, name: string, target: Omit<HttpTarget, 'connections'>): Promise<Cost> {
  process.stderr.write(`${new Date().toISOString()} ${id} ${name}\n`)
  const cpu: CpuRun[] = []
  const wal = { bytes: 0n }
  const workload = http({ connections: CONNECTIONS, ...target })
  // Warm-up unmeasured, then the timed runs measured.
  await workload.run(timing.warmupSeconds)
  const figures = await measure(withWal(withCpu(workload, tessera, db, cpu), db, wal), { ...timing, warmupSeconds: 0 })
  if (figures.unexpected > 0 || figures.errors > 0) throw new Error(`${id}: ${figures.unexpected} unexpected answers, ${figures.errors} errors`)
  const requests = cpu.reduce((sum, run) => sum + run.requests, 0)
  return { id, name, figures, tesseraUs: cpuMicrosPerRequest(cpu, 'tessera'), postgresUs: cpuMicrosPerRequest(cpu, 'postgres'), walBytes: Number(wal.bytes) / requests }
}

const format = (value: number) => value >= 100 ? Math.ceil(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(0) : value.toFixed(1)
/** Cores busy `UTILISATION` of their time that `rate` requests a second of `us` µs each need. */
const cores = (rate: number, us: number) => rate * us / 1e6 / UTILISATION

function report (costs: Cost[]): string {
  const byId = new Map(costs.map((entry) => [entry.id, entry]))
  const plans: Array<[string, string, number]> = [
    ['10k validations/s (cached)', 'V1', 10_000], ['100k validations/s (cached)', 'V1', 100_000], ['1M validations/s (cached)', 'V1', 1_000_000],
    ['10k validations/s (every one a cache miss)', 'V2', 10_000], ['100k validations/s (every one a cache miss)', 'V2', 100_000], ['1M validations/s (every one a cache miss)', 'V2', 1_000_000],
    ['1k issuances/s (API key)', 'I1', 1_000], ['10k issuances/s (API key)', 'I1', 10_000],
    ['1k issuances/s (password, argon2id)', 'I2', 1_000], ['10k issuances/s (password, argon2id)', 'I2', 10_000],
    ['1k agent tokens created/s', 'I3', 1_000], ['10k agent tokens created/s', 'I3', 10_000]
  ]
  return [
    `# npm run bench -- capacity, ${new Date().toISOString()}`,
    '',
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, Tessera and PostgreSQL on the same machine. ${CONNECTIONS} connections, ${RUNS} runs × ${SECONDS} s after a warm-up. ` +
      'CPU: Tessera\'s process, and the backends of its database (pg_stat_activity; PostgreSQL\'s WAL writer and checkpointer not counted), over the requests of the timed runs. WAL: pg_current_wal_lsn() before and after each run.',
    '',
    '| id | request | req/s | p99 ms | Tessera CPU µs/req | PostgreSQL CPU µs/req | WAL bytes/req |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...costs.map((entry) => `| ${entry.id} | ${entry.name} | ${Math.round(entry.figures.requestsPerSecond.median).toLocaleString('en-US')} | ${entry.figures.p99Ms} | ${entry.tesseraUs} | ${entry.postgresUs} | ${Math.round(entry.walBytes)} |`),
    '',
    `Planned at ${Math.round(UTILISATION * 100)}% of each core. A Tessera replica is one Node.js process, one core; PostgreSQL cores for validations may be any server's (standbys answer the misses), for issuance the primary's.`,
    '',
    '| load | Tessera replicas (cores) | PostgreSQL cores | primary\'s WAL |',
    '| --- | --- | --- | --- |',
    ...plans.map(([load, id, rate]) => {
      const entry = byId.get(id)!
      const wal = rate * entry.walBytes / 1e6
      return `| ${load} | ${format(cores(rate, entry.tesseraUs))} | ${format(cores(rate, entry.postgresUs))} | ${wal < 0.1 ? '≈ 0' : `${format(wal)} MB/s`} |`
    }),
    ''
  ].join('\n')
}

const database = await benchDatabase()
const env = { DATABASE_URL: database.url, TESSERA_SECRET_KEY: randomBytes(32).toString('base64'), TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD }
let tessera: BenchProcess | undefined
try {
  const costs: Cost[] = []
  tessera = await startTessera(env)
  const adminToken = await keystoneLogin(tessera.url, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
  const tenant = await createTenant(tessera.url, adminToken, 'capacity')
  const subject = await keystoneLogin(tessera.url, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
  const json = { 'content-type': 'application/json' }
  costs.push(await cost(tessera, database.db, 'V1', 'GET /v2.0/tokens/{id} by an admin, default caches', { url: `${tessera.url}/v2.0/tokens/${subject}`, headers: { 'x-auth-token': adminToken }, expectStatus: 200 }))
  costs.push(await cost(tessera, database.db, 'I1', 'POST /v2.0/tokens with a Rackspace API key', { url: `${tessera.url}/v2.0/tokens`, method: 'POST', headers: json, body: JSON.stringify({ auth: { 'RAX-KSKEY:apiKeyCredentials': { username: tenant.user.name, apiKey: tenant.user.apiKey } } }), expectStatus: 200 }))
  costs.push(await cost(tessera, database.db, 'I2', 'POST /v2.0/tokens with a password (argon2id)', { url: `${tessera.url}/v2.0/tokens`, method: 'POST', headers: json, body: JSON.stringify({ auth: { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId } }), expectStatus: 200 }))
  costs.push(await cost(tessera, database.db, 'I3', 'POST /v1.0/{tenant}/agent_tokens', { url: `${tessera.url}/v1.0/${tenant.accountId}/agent_tokens`, method: 'POST', headers: { ...json, 'x-auth-token': tenant.token }, body: '{"label":"capacity"}', expectStatus: 201 }))
  await tessera.stop()

  tessera = await startTessera({ ...env, CREDENTIAL_CACHE_SECONDS: '0', READ_CACHE_MS: '0' })
  costs.splice(1, 0, await cost(tessera, database.db, 'V2', 'GET /v2.0/tokens/{id} by an admin, caches off', { url: `${tessera.url}/v2.0/tokens/${subject}`, headers: { 'x-auth-token': adminToken }, expectStatus: 200 }))
  await tessera.stop()

  const markdown = report(costs)
  const results = new URL('./results/', import.meta.url)
  await mkdir(results, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  await writeFile(new URL(`capacity-${stamp}.md`, results), markdown)
  await writeFile(new URL('capacity-latest.md', results), markdown)
  process.stdout.write(`\n${markdown}\nwritten to bench/results/capacity-${stamp}.md and bench/results/capacity-latest.md\n`)
} finally {
  await tessera?.stop().catch(() => {})
  await database.drop()
}
