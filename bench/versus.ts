import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sql } from 'kysely'
import { createDb } from '../src/db/database.js'
import { BENCH_DATABASE_URL, printTable } from './lib.js'
import { http, pairedShare, type PairedRun, type Workload } from './load.js'
import { startTessera, type BenchProcess } from './processes.js'
import { createTenant, expectCall, keystoneLogin } from './tessera-client.js'

/**
 * `npm run bench -- versus <checkout>`: this checkout's hot paths beside another build of Tessera
 * (a `git worktree` of an earlier commit, `npm ci && npm run build` in it), run for run, each on
 * a database of its own on the bench server. A change that must keep the hot path's figures
 * (within 5%, say) is measured here: the share is the median of the per-pair ratios, this build's
 * req/s over the other's in the same pair. BENCH_SECONDS (5), BENCH_RUNS (6), BENCH_CONNECTIONS (50).
 */
const other = process.argv[3] === undefined ? undefined : resolve(process.argv[3])
if (other === undefined || !existsSync(join(other, 'dist', 'server.js'))) {
  process.stderr.write('usage: npm run bench -- versus <directory of another built checkout (dist/server.js)>\n')
  process.exit(2)
}
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const RUNS = Number(process.env.BENCH_RUNS ?? 6)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const shape = { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: Math.min(2, SECONDS), runs: RUNS }
const ADMIN_PASSWORD = 'bench admin password'

interface Server {
  process: BenchProcess
  adminToken: string
  /** A session to validate (S1), and an Astra token with the path of a page of its user's tokens (S3). */
  subject: string
  astra: { token: string, path: string }
  drop (): Promise<void>
}

async function serve (root: string | undefined): Promise<Server> {
  const name = `tessera_bench_${randomBytes(4).toString('hex')}`
  const admin = createDb({ databaseUrl: BENCH_DATABASE_URL, poolMax: 1 }).db
  await sql`create database ${sql.id(name)}`.execute(admin)
  const url = new URL(BENCH_DATABASE_URL)
  url.pathname = `/${name}`
  const env = { DATABASE_URL: url.toString(), TESSERA_SECRET_KEY: randomBytes(32).toString('base64'), TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD }
  const server = await startTessera(env, [], root)
  const base = server.url
  const adminToken = await keystoneLogin(base, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
  const tenant = await createTenant(base, adminToken, 'bench')
  const subject = await keystoneLogin(base, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
  const path = `/accounts/${tenant.accountId}/core/v1/users/${tenant.user.id}/tokens`
  const token = (await expectCall(201, base, path, { headers: { authorization: `Bearer ${tenant.token}` }, json: { type: 'application/astra-token', version: '1.0', name: 'bench' } })).json().token
  return {
    process: server,
    adminToken,
    subject,
    astra: { token, path: `${path}?limit=10` },
    async drop () {
      await server.stop()
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await admin.destroy()
    }
  }
}

const scenarios = [
  { id: 'S1', name: 'GET /v2.0/tokens/{id} by an admin', workload: (server: Server) => http({ ...shape, url: `${server.process.url}/v2.0/tokens/${server.subject}`, headers: { 'x-auth-token': server.adminToken }, expectStatus: 200 }) },
  { id: 'S3', name: 'Astra GET …/users/{user_id}/tokens?limit=10 with Bearer', workload: (server: Server) => http({ ...shape, url: `${server.process.url}${server.astra.path}`, headers: { authorization: `Bearer ${server.astra.token}` }, expectStatus: 200 }) }
]

/**
 * Warm-ups, then `RUNS` pairs of runs, the two builds taking turns to go first (A B, B A, …): a
 * run that follows another on this machine is not as fast as one that leads, whichever build it is.
 */
async function inAlternateOrder (theirs: Workload, ours: Workload): Promise<PairedRun[]> {
  await theirs.run(shape.warmupSeconds)
  await ours.run(shape.warmupSeconds)
  const pairs: PairedRun[] = []
  for (let run = 0; run < RUNS; run++) {
    if (run % 2 === 0) {
      const baseline = await theirs.run(SECONDS)
      pairs.push({ baseline, scenario: await ours.run(SECONDS) })
    } else {
      const scenario = await ours.run(SECONDS)
      pairs.push({ baseline: await theirs.run(SECONDS), scenario })
    }
  }
  return pairs
}

const servers: Server[] = []
try {
  const theirs = await serve(other)
  servers.push(theirs)
  const ours = await serve(undefined)
  servers.push(ours)
  const rows: string[][] = []
  for (const scenario of scenarios) {
    process.stderr.write(`${new Date().toISOString()} ${scenario.id}\n`)
    const paired = pairedShare(await inAlternateOrder(scenario.workload(theirs), scenario.workload(ours)))
    rows.push([
      scenario.id,
      scenario.name,
      paired.runs.map((run) => Math.round(run.baselineRequestsPerSecond).toLocaleString('en')).join(' / '),
      paired.runs.map((run) => Math.round(run.requestsPerSecond).toLocaleString('en')).join(' / '),
      paired.runs.map((run) => `${(run.ratio * 100).toFixed(1)}%`).join(' / '),
      `${(paired.share * 100).toFixed(1)}%`
    ])
  }
  printTable(`this checkout beside ${other}: ${CONNECTIONS} connections, ${RUNS} runs × ${SECONDS} s, run for run`, ['id', 'scenario', 'other req/s', 'this req/s', 'per-run ratio', 'median ratio'], rows)
} finally {
  for (const server of servers) await server.drop().catch(() => {})
}
