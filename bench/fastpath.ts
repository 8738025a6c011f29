import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.js'
import { randomHex, randomUrlSafe, sha256 } from '../src/core/secrets.js'
import type { Database } from '../src/db/database.js'
import { bytesPerCachedSession, type CachedSessionBytes } from './cached-session-memory.js'
import { benchDatabase } from './lib.js'
import { http, inTurn, measurePaired, pairedShare, type Run, type Workload } from './load.js'
import { startHelloWorld, startTessera, type BenchProcess } from './processes.js'
import { cpuMicrosPerRequest, withCpu, type CpuRun } from './cpu.js'
import { createTenant, keystoneLogin } from './tessera-client.js'

/**
 * `npm run bench -- fastpath`: validation when the credential cache does not answer, beside bare
 * Fastify (B1) run for run. F1: S1 (an admin validates a token) with the caches off; F2: 100 000
 * distinct live tokens (BENCH_TOKENS) validated uniformly at random, default settings. Each with
 * its share of B1's req/s, its p99 over B1's, and the CPU time per request of Tessera and of
 * PostgreSQL (the database's backends); then the heap a cached session takes.
 * Writes bench/results/fastpath-<time>.md and fastpath-latest.md. BENCH_CHECKOUT: another built
 * checkout's Tessera to run the scenarios against (an earlier commit, for a before and after);
 * the bytes of a cached session are always this checkout's. BENCH_TESSERA_ENV: settings to try.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const TOKENS = Number(process.env.BENCH_TOKENS ?? 100_000)
const WARMUP = Math.min(2, SECONDS)
const HELLO_PROCESSES = 3
const ADMIN_PASSWORD = 'bench admin password'
const CHECKOUT = process.env.BENCH_CHECKOUT
/** Settings to try, as JSON (`{"USAGE_FLUSH_SECONDS":"86400"}`), added to Tessera's environment in both scenarios. */
const TRY_ENV = JSON.parse(process.env.BENCH_TESSERA_ENV ?? '{}') as Record<string, string>
/** Node flags for Tessera's process in both scenarios (`--trace-gc`), space-separated. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
/** `BENCH_ONLY=F2` leaves F1 out (F2 and the memory figure always run). */
const ONLY = (process.env.BENCH_ONLY ?? 'F1,F2').split(',')
const FILL_LIMIT_SECONDS = 60
const METRICS_TOKEN = randomHex(16)
const shape = { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: 0, runs: RUNS }

interface FastpathRow {
  id: string
  name: string
  runs: Array<{ b1: Run, scenario: Run }>
  cpu: CpuRun[]
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** A scenario beside B1, run for run, after a warm-up of both. */
async function paired (b1: Workload, id: string, name: string, scenario: Workload, tessera: BenchProcess, db: Database): Promise<FastpathRow> {
  process.stderr.write(`${new Date().toISOString()} ${id} beside B1\n`)
  await b1.run(WARMUP)
  await scenario.run(WARMUP)
  const cpu: CpuRun[] = []
  const pairs = await measurePaired(b1, withCpu(scenario, tessera, db, cpu), shape)
  return { id, name, runs: pairs.map((pair) => ({ b1: pair.baseline, scenario: pair.scenario })), cpu }
}

/** `count` live sessions of `tenant`'s user, inserted 10 000 per statement; their token ids. */
async function seedSessions (db: Database, userId: string, accountId: string, count: number): Promise<string[]> {
  const tokens: string[] = []
  for (let offset = 0; offset < count; offset += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, count - offset) }, () => randomHex(32))
    const auditIds = batch.map(() => randomUrlSafe(16))
    await sql`insert into auth_sessions (audit_id, secret_hash, user_id, account_id, roles, method, audit_chain_id, expires_at)
      select a, h, ${userId}, ${accountId}, '{admin}', 'password', a, now() + interval '1 day'
      from unnest(${auditIds}::text[], ${batch.map((token) => sha256(token))}::bytea[]) as t(a, h)`.execute(db)
    tokens.push(...batch)
  }
  await sql`vacuum analyze auth_sessions`.execute(db)
  return tokens
}

/**
 * F2 measures the steady state of a busy service, where the credential cache is full and every
 * entry it takes pushes one out: each token validated once, in a shuffled order, until the cache
 * holds as many entries as there are tokens (or FILL_LIMIT_SECONDS pass).
 */
async function fillCredentialCache (tessera: BenchProcess, adminToken: string, tokens: string[]): Promise<void> {
  const shuffled = [...tokens].sort(() => Math.random() - 0.5)
  let next = 0
  const fill = http({ connections: CONNECTIONS, url: `${tessera.url}/`, nextPath: () => `/v2.0/tokens/${shuffled[next++ % shuffled.length]!}`, headers: { 'x-auth-token': adminToken }, expectStatus: 200 })
  const deadline = Date.now() + FILL_LIMIT_SECONDS * 1000
  let entries = 0
  while (entries < tokens.length && Date.now() < deadline) {
    await fill.run(2)
    entries = await credentialCacheEntries(tessera)
  }
  process.stderr.write(`${new Date().toISOString()} F2: the credential cache holds ${entries.toLocaleString('en-US')} entries after ${next.toLocaleString('en-US')} validations\n`)
}

async function credentialCacheEntries (tessera: BenchProcess): Promise<number> {
  const text = await fetch(`${tessera.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((response) => response.text())
  return Number(/^tessera_cache_entries\{cache="credentials"\} (\d+)/m.exec(text)?.[1] ?? 0)
}

function report (rows: FastpathRow[], memory: CachedSessionBytes, rssMb: number): string {
  const lines = rows.map((row) => {
    const share = pairedShare(row.runs.map((run) => ({ baseline: run.b1, scenario: run.scenario })))
    const p99 = median(row.runs.map((run) => run.scenario.p99Ms / run.b1.p99Ms))
    const perRequest = (key: 'tessera' | 'postgres') => cpuMicrosPerRequest(row.cpu, key)
    const mid = row.runs.map((run) => run.scenario).sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(row.runs.length / 2)]!
    const failed = row.runs.reduce((sum, run) => sum + run.scenario.errors + run.scenario.unexpected, 0)
    return `| ${row.id} | ${row.name} | ${Math.round(share.runs.map((run) => run.requestsPerSecond).sort((a, b) => a - b)[Math.floor(share.runs.length / 2)]!).toLocaleString('en-US')} | ${Math.round(share.baselineMedian).toLocaleString('en-US')} | ${(share.share * 100).toFixed(1)}% ${share.share >= 0.25 ? 'meets' : 'below'} ≥ 25% | ${mid.p50Ms.toFixed(1)} | ${mid.p99Ms.toFixed(1)} | ${p99.toFixed(2)}× ${p99 <= 3 ? 'meets' : 'above'} ≤ 3× | ${perRequest('tessera')} | ${perRequest('postgres')} | ${failed} |`
  })
  const total = memory.cacheEntry + memory.renderedAccess
  return [
    `# npm run bench -- fastpath, ${new Date().toISOString()}${CHECKOUT === undefined ? '' : `, Tessera of ${CHECKOUT}`}${Object.keys(TRY_ENV).length === 0 ? '' : `, with ${JSON.stringify(TRY_ENV)}`}`,
    '',
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}. ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${RUNS} runs × ${SECONDS} s, each right after a run of B1 (bare Fastify, ${HELLO_PROCESSES} processes in turn). ` +
      'Share: the median of the per-run ratios of req/s; p99 over B1: the median of the per-run ratios of p99. CPU µs per request: Tessera\'s process, and the backends of its database (pg_stat_activity), over the requests of the timed runs.',
    '',
    '| id | scenario | req/s | B1 req/s | share of B1 (goal) | p50 ms | p99 ms | p99 over B1 (goal) | Tessera CPU µs/req | PostgreSQL CPU µs/req | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...lines,
    '',
    `A cached session: ${Math.round(memory.cacheEntry)} bytes of heap in the credential cache, ${Math.round(total)} with the access document validation renders once per session (goal ≤ 500 bytes; ${TOKENS.toLocaleString('en-US')} sessions cached in the bench process). ` +
      `Tessera's resident memory after F2: ${rssMb.toFixed(0)} MB.`,
    ''
  ].join('\n')
}

const database = await benchDatabase()
const key = randomBytes(32)
const env = { DATABASE_URL: database.url, TESSERA_SECRET_KEY: key.toString('base64'), TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD, METRICS_TOKEN, ...TRY_ENV }
const hellos: BenchProcess[] = []
let tessera: BenchProcess | undefined
try {
  for (let i = 0; i < HELLO_PROCESSES; i++) hellos.push(await startHelloWorld())
  const helloWorkloads = hellos.map((hello) => http({ connections: CONNECTIONS, url: `${hello.url}/`, expectStatus: 200 }))
  for (const workload of helloWorkloads) await workload.run(WARMUP)
  const b1 = inTurn(helloWorkloads)
  const rows: FastpathRow[] = []

  tessera = await startTessera({ ...env, CREDENTIAL_CACHE_SECONDS: '0', READ_CACHE_MS: '0' }, NODE_ARGS, CHECKOUT)
  const adminToken = await keystoneLogin(tessera.url, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
  const tenant = await createTenant(tessera.url, adminToken, 'bench')
  const subject = await keystoneLogin(tessera.url, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
  if (ONLY.includes('F1')) rows.push(await paired(b1, 'F1', 'S1, GET /v2.0/tokens/{id} by an admin, caches off (CREDENTIAL_CACHE_SECONDS=0 READ_CACHE_MS=0)', http({ connections: CONNECTIONS, url: `${tessera.url}/v2.0/tokens/${subject}`, headers: { 'x-auth-token': adminToken }, expectStatus: 200 }), tessera, database.db))
  await tessera.stop()

  process.stderr.write(`${new Date().toISOString()} F2: seeding ${TOKENS.toLocaleString('en-US')} sessions\n`)
  const tokens = await seedSessions(database.db, tenant.user.id, tenant.accountId, TOKENS)
  tessera = await startTessera(env, NODE_ARGS, CHECKOUT)
  const randomToken = () => `/v2.0/tokens/${tokens[Math.floor(Math.random() * tokens.length)]!}`
  await fillCredentialCache(tessera, adminToken, tokens)
  rows.push(await paired(b1, 'F2', `${TOKENS.toLocaleString('en-US')} distinct live tokens validated uniformly at random by an admin, default settings`, http({ connections: CONNECTIONS, url: `${tessera.url}/`, nextPath: randomToken, headers: { 'x-auth-token': adminToken }, expectStatus: 200 }), tessera, database.db))
  const rssMb = tessera.rssMb()
  await tessera.stop()

  process.stderr.write(`${new Date().toISOString()} memory of ${TOKENS.toLocaleString('en-US')} cached sessions\n`)
  const config = loadConfig({ TESSERA_SECRET_KEY: key.toString('base64'), DATABASE_URL: database.url })
  const memory = await bytesPerCachedSession(database.db, tokens, config, 'http://127.0.0.1:5000')

  const markdown = report(rows, memory, rssMb)
  const results = new URL('./results/', import.meta.url)
  await mkdir(results, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  await writeFile(new URL(`fastpath-${stamp}.md`, results), markdown)
  // Another checkout's figures, or other settings', are not this one's latest.
  const latest = CHECKOUT === undefined && Object.keys(TRY_ENV).length === 0 && NODE_ARGS.length === 0 && ONLY.length === 2
  if (latest) await writeFile(new URL('fastpath-latest.md', results), markdown)
  process.stdout.write(`\n${markdown}\nwritten to bench/results/fastpath-${stamp}.md${latest ? ' and bench/results/fastpath-latest.md' : ''}\n`)
} finally {
  for (const child of [...hellos, tessera]) await child?.stop().catch(() => {})
  await database.drop()
}
