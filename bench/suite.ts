import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { OWASP_ARGON2, PasswordHasher } from '../src/core/credentials.js'
import { sha256, SecretBox } from '../src/core/secrets.js'
import type { Database } from '../src/db/database.js'
import { newTokenId, sealingContext } from '../src/families/agent-tokens/token-id.js'
import { benchDatabase } from './lib.js'
import { figuresOf, http, inTurn, load, measurePaired, operations, pairedShare, type Run, type Workload } from './load.js'
import { startHelloWorld, startTessera, type BenchProcess } from './processes.js'
import { writeReport, type Row } from './report.js'
import { call, conjurToken, createTenant, expectCall, keystoneLogin } from './tessera-client.js'

/**
 * `npm run bench`: Tessera in its own process on PostgreSQL (and once on the embedded database),
 * driven over real sockets by autocannon, all in one run. The machine's speed drifts over minutes,
 * so each scenario with a baseline alternates with it run for run, and its share is the median of
 * the per-run ratios. Writes bench/results/<time>.{md,json} and bench/results/latest.md.
 * BENCH_SECONDS (5), BENCH_RUNS (3), BENCH_CONNECTIONS (50), BENCH_LARGE (1 000 000 tokens for S7).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const LARGE = Number(process.env.BENCH_LARGE ?? 1_000_000)
const WARMUP = Math.min(2, SECONDS)
const ADMIN_PASSWORD = 'bench admin password'
const shape = { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP, runs: RUNS }
/**
 * B1's processes. Identical hello-world processes started one after another served at speeds up
 * to 1.4× apart, each for its whole life (60–95k req/s on this 2-vCPU VM, the user CPU time per
 * request differing): B1's runs take the processes in turn, so no one process's luck sets every share.
 */
const HELLO_PROCESSES = 3

/** A baseline kept ready for the whole suite, and its runs so far, each right before a scenario run. */
interface Baseline {
  id: string
  name: string
  workload: Workload
  runs: Run[]
}

/** B2: single-row INSERTs into a table shaped like a token table, from the 16 clients of `pool`. */
async function insertBaseline (pool: pg.Pool): Promise<Workload> {
  await pool.query('create table bench_tokens (id text primary key, account_id text not null, secret_hash bytea not null unique, label text, created_at timestamptz not null default now())')
  return operations(async () => {
    const id = randomBytes(16).toString('hex')
    await pool.query('insert into bench_tokens (id, account_id, secret_hash, label) values ($1, $2, $3, $4)', [id, 'bench', sha256(id), 'bench'])
  }, 16)
}

/** B3: argon2id verifications at Tessera's parameters, 2 at once. */
async function argonBaseline (): Promise<Workload> {
  const hasher = new PasswordHasher(OWASP_ARGON2)
  const hash = await hasher.hash('bench password 1234')
  return operations(async () => { if (!await hasher.verify(hash, 'bench password 1234')) throw new Error('argon2 verify failed') }, 2)
}

/** Where a run of many minutes is, on stderr: the table comes at the end. */
function progress (step: string): void {
  process.stderr.write(`${new Date().toISOString()} ${step}\n`)
}

/** A scenario measured beside `baseline`, run for run; the baseline keeps its runs for its own row. */
async function pairedRow (baseline: Baseline, row: { id: string, name: string, goal: number }, scenario: Workload): Promise<Row> {
  progress(`${row.id} beside ${baseline.id}`)
  const pairs = await measurePaired(baseline.workload, scenario, shape)
  baseline.runs.push(...pairs.map((pair) => pair.baseline))
  return { ...row, baseline: baseline.id, figures: figuresOf(pairs.map((pair) => pair.scenario)), paired: pairedShare(pairs) }
}

/** The table's order: each baseline's row, all its runs together, right above its first scenario. */
function withBaselinesAbove (scenarios: Row[], baselines: Baseline[]): Row[] {
  const placed = new Set<string>()
  return scenarios.flatMap((row) => {
    const baseline = baselines.find((candidate) => candidate.id === row.baseline)
    if (!baseline || placed.has(baseline.id)) return [row]
    placed.add(baseline.id)
    return [{ id: baseline.id, name: baseline.name, figures: figuresOf(baseline.runs) }, row]
  })
}

/** `count` agent tokens in the tenant, inserted 10 000 per statement, as Tessera would store them. */
async function seedAgentTokens (db: Database, box: SecretBox, accountId: string, count: number): Promise<void> {
  const firstMs = Date.now() - count
  for (let offset = 0; offset < count; offset += 10_000) {
    const sortKeys: string[] = []
    const hashes: Buffer[] = []
    const sealed: Buffer[] = []
    for (let i = offset; i < Math.min(count, offset + 10_000); i++) {
      const { id, sortKey } = newTokenId(accountId, firstMs + i)
      sortKeys.push(sortKey)
      hashes.push(sha256(id))
      sealed.push(box.seal(id, sealingContext(accountId, sortKey)))
    }
    await sql`insert into agent_tokens (account_id, sort_key, secret_hash, token_sealed, label)
      select ${accountId}, k, h, s, 'bench' from unnest(${sortKeys}::text[], ${hashes}::bytea[], ${sealed}::bytea[]) as t(k, h, s)`.execute(db)
  }
  await sql`vacuum analyze agent_tokens`.execute(db)
}

/** Revoked on replica A, refused by replica B: how long after A's answer (ms), over `trials`. */
async function crossReplicaRevocation (a: BenchProcess, b: BenchProcess, adminToken: string, tenant: { user: { name: string, password: string }, accountId: string }, trials: number): Promise<number[]> {
  const delays: number[] = []
  for (let i = 0; i < trials; i++) {
    const token = await keystoneLogin(a.url, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
    await expectCall(200, b.url, '/v2.0/tenants', { headers: { 'x-auth-token': token } })
    await expectCall(200, b.url, '/v2.0/tenants', { headers: { 'x-auth-token': token } })
    await expectCall(204, a.url, `/v2.0/tokens/${token}`, { method: 'DELETE', headers: { 'x-auth-token': adminToken } })
    const revoked = performance.now()
    for (;;) {
      if ((await call(b.url, '/v2.0/tenants', { headers: { 'x-auth-token': token } })).status === 401) break
      if (performance.now() - revoked > 5000) throw new Error('replica B still accepts a token revoked 5 s ago')
    }
    delays.push(performance.now() - revoked)
  }
  return delays.sort((x, y) => x - y)
}

const rows: Row[] = []
const key = randomBytes(32)
const database = await benchDatabase()
const box = new SecretBox(key)
const env = { DATABASE_URL: database.url, TESSERA_SECRET_KEY: key.toString('base64'), TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD }
let tessera: BenchProcess | undefined
let replica: BenchProcess | undefined
let embedded: BenchProcess | undefined
const hellos: BenchProcess[] = []
const embeddedDir = await mkdtemp(join(tmpdir(), 'tessera-bench-'))
const insertPool = new pg.Pool({ connectionString: database.url, max: 16 })
try {
  // The baselines stay up for the whole suite (idle, they cost nothing): each scenario run follows a run of its baseline.
  for (let i = 0; i < HELLO_PROCESSES; i++) hellos.push(await startHelloWorld())
  const helloWorkloads = hellos.map((hello) => http({ ...shape, url: `${hello.url}/`, expectStatus: 200 }))
  for (const workload of helloWorkloads) await workload.run(WARMUP)
  const b1: Baseline = { id: 'B1', name: `bare Fastify hello world (${HELLO_PROCESSES} processes, in turn)`, workload: inTurn(helloWorkloads), runs: [] }
  const b2: Baseline = { id: 'B2', name: 'single-row INSERT, node-postgres, 16 clients', workload: await insertBaseline(insertPool), runs: [] }
  const b3: Baseline = { id: 'B3', name: 'argon2id verify (m=19 MiB, t=2, p=1), 2 at once', workload: await argonBaseline(), runs: [] }

  tessera = await startTessera(env)
  const base = tessera.url
  const adminToken = await keystoneLogin(base, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
  const tenant = await createTenant(base, adminToken, 'bench')
  const subject = await keystoneLogin(base, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
  const agentTokenId = (await expectCall(201, base, `/v1.0/${tenant.accountId}/agent_tokens`, { headers: { 'x-auth-token': tenant.token }, json: { label: 'bench' } })).headers.get('x-object-id')!

  rows.push(await pairedRow(b1, { id: 'S1', name: 'GET /v2.0/tokens/{id} by an admin', goal: 0.5 }, http({ ...shape, url: `${base}/v2.0/tokens/${subject}`, headers: { 'x-auth-token': adminToken }, expectStatus: 200 })))
  rows.push(await pairedRow(b1, { id: 'S2', name: 'GET /v1.0/{tenant}/agent_tokens/{id}', goal: 0.35 }, http({ ...shape, url: `${base}/v1.0/${tenant.accountId}/agent_tokens/${agentTokenId}`, headers: { 'x-auth-token': tenant.token }, expectStatus: 200 })))

  // Astra: Alice's own API token, and a page of 10 of her 20 tokens.
  const astraTokens = `/accounts/${tenant.accountId}/core/v1/users/${tenant.user.id}/tokens`
  let astraToken = ''
  for (let i = 0; i < 20; i++) {
    astraToken = (await expectCall(201, base, astraTokens, { headers: { authorization: `Bearer ${tenant.token}` }, json: { type: 'application/astra-token', version: '1.0', name: `bench ${i}` } })).json().token
  }
  rows.push(await pairedRow(b1, { id: 'S3', name: 'Astra GET …/users/{user_id}/tokens?limit=10 with Bearer', goal: 0.35 }, http({ ...shape, url: `${base}${astraTokens}?limit=10`, headers: { authorization: `Bearer ${astraToken}` }, expectStatus: 200 })))

  // Conjur: Alice (admin of her account, so Conjur's admin there) and two host factories.
  for (const id of ['hf-read', 'hf-write']) {
    await expectCall(201, base, `/admin/v1/accounts/${tenant.accountId}/host-factories`, { headers: { 'x-auth-token': adminToken }, json: { id, layers: ['bench'] } })
  }
  const conjur = () => conjurToken(base, tenant.accountName, tenant.user.name, tenant.user.apiKey)
  rows.push(await pairedRow(b1, { id: 'S8', name: 'GET /resources/{account}/host_factory/{id} with Token token="…"', goal: 0.35 }, http({ ...shape, url: `${base}/resources/${tenant.accountName}/host_factory/hf-read`, headers: { authorization: `Token token="${await conjur()}"` }, expectStatus: 200 })))

  rows.push(await pairedRow(b2, { id: 'S4', name: 'POST /v1.0/{tenant}/agent_tokens', goal: 0.5 }, http({ ...shape, method: 'POST', url: `${base}/v1.0/${tenant.accountId}/agent_tokens`, headers: { 'x-auth-token': tenant.token, 'content-type': 'application/json' }, body: '{"label":"bench"}', expectStatus: 201 })))
  rows.push(await pairedRow(b2, { id: 'S5', name: 'POST /host_factory_tokens (one token)', goal: 0.5 }, http({ ...shape, method: 'POST', url: `${base}/host_factory_tokens`, headers: { authorization: `Token token="${await conjur()}"`, 'content-type': 'application/x-www-form-urlencoded' }, body: `host_factory=${encodeURIComponent(`${tenant.accountName}:host_factory:hf-write`)}&expiration=2050-12-31T23%3A59%3A59Z`, expectStatus: 200 })))

  rows.push(await pairedRow(b3, { id: 'S6', name: 'POST /v2.0/tokens (password)', goal: 0.8 }, http({ ...shape, method: 'POST', url: `${base}/v2.0/tokens`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth: { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId } }), expectStatus: 200 })))

  // S7: the same page with 1 000 and with LARGE tokens in the tenant.
  for (const size of [1000, LARGE]) {
    const big = await createTenant(base, adminToken, `bench-${size}`)
    progress(`S7: seeding ${size.toLocaleString('en-US')} tokens`)
    await seedAgentTokens(database.db, box, big.accountId, size)
    progress(`S7 ${size.toLocaleString('en-US')}`)
    rows.push({ id: `S7 ${size.toLocaleString('en-US')}`, name: `GET agent_tokens?limit=100, ${size.toLocaleString('en-US')} tokens in the tenant`, figures: await load({ ...shape, url: `${base}/v1.0/${big.accountId}/agent_tokens?limit=100`, headers: { 'x-auth-token': big.token }, expectStatus: 200 }) })
  }

  // Cross-replica revocation: a second process on the same database.
  replica = await startTessera(env)
  progress('cross-replica revocation')
  const delays = await crossReplicaRevocation(tessera, replica, adminToken, tenant, Number(process.env.BENCH_REVOCATIONS ?? 1000))
  await replica.stop()
  const rssMb = tessera.rssMb()
  await tessera.stop()

  // S9: S1 and S4 on the embedded database.
  embedded = await startTessera({ DATA_DIR: embeddedDir, TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD })
  const eAdmin = await keystoneLogin(embedded.url, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
  const eTenant = await createTenant(embedded.url, eAdmin, 'bench')
  const eSubject = await keystoneLogin(embedded.url, { passwordCredentials: { username: eTenant.user.name, password: eTenant.user.password }, tenantId: eTenant.accountId })
  rows.push(await pairedRow(b1, { id: 'S9 S1', name: 'S1 on the embedded database', goal: 0.5 }, http({ ...shape, url: `${embedded.url}/v2.0/tokens/${eSubject}`, headers: { 'x-auth-token': eAdmin }, expectStatus: 200 })))
  rows.push(await pairedRow(b2, { id: 'S9 S4', name: 'S4 on the embedded database', goal: 0.5 }, http({ ...shape, method: 'POST', url: `${embedded.url}/v1.0/${eTenant.accountId}/agent_tokens`, headers: { 'x-auth-token': eTenant.token, 'content-type': 'application/json' }, body: '{"label":"bench"}', expectStatus: 201 })))
  await embedded.stop()

  await writeReport(withBaselinesAbove(rows, [b1, b2, b3]), { connections: CONNECTIONS, seconds: SECONDS, runs: RUNS, warmupSeconds: WARMUP, rssMb, revocationDelaysMs: delays, largeTokens: LARGE }, database.db)
} finally {
  for (const child of [...hellos, tessera, replica, embedded]) await child?.stop().catch(() => {})
  await insertPool.end().catch(() => {})
  await database.drop()
  await rm(embeddedDir, { recursive: true, force: true })
}
