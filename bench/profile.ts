import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createDb } from '../src/db/database.js'
import { BENCH_DATABASE_URL } from './lib.js'
import { load } from './load.js'
import { cpuSecondsOf, startHelloWorld, startTessera, type BenchProcess } from './processes.js'
import { conjurToken, createTenant, expectCall, keystoneLogin, type Tenant } from './tessera-client.js'

/**
 * `npm run bench -- profile`: one scenario of the suite (BENCH_SCENARIO: S1, an admin
 * validating a token, by default; S2, S3, S4, S5, S6 or S8) against Tessera started with `node --cpu-prof`,
 * then where its CPU time went: the functions and the packages with the most self time.
 * BENCH_SECONDS (10) of load at BENCH_CONNECTIONS (50).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ADMIN_PASSWORD = 'bench admin password'
/** BENCH_PROFILE=0: the figures without the profiler's overhead, and no profile. */
const PROFILE = process.env.BENCH_PROFILE !== '0'
const SCENARIO = process.env.BENCH_SCENARIO ?? 'S1'

/** The request the scenario repeats, as the suite seeds it: a path and its headers. */
type Scenario = (base: string, adminToken: string, tenant: Tenant) => Promise<{ path: string, headers: Record<string, string>, method?: 'POST', body?: string, status?: number }>
const SCENARIOS: Record<string, Scenario> = {
  async S1 (base, adminToken, tenant) {
    const subject = await keystoneLogin(base, { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId })
    return { path: `/v2.0/tokens/${subject}`, headers: { 'x-auth-token': adminToken } }
  },
  async S2 (base, _adminToken, tenant) {
    const created = await expectCall(201, base, `/v1.0/${tenant.accountId}/agent_tokens`, { headers: { 'x-auth-token': tenant.token }, json: { label: 'profile' } })
    return { path: `/v1.0/${tenant.accountId}/agent_tokens/${created.headers.get('x-object-id')!}`, headers: { 'x-auth-token': tenant.token } }
  },
  async S3 (base, _adminToken, tenant) {
    const tokens = `/accounts/${tenant.accountId}/core/v1/users/${tenant.user.id}/tokens`
    let token = ''
    for (let i = 0; i < 20; i++) {
      token = (await expectCall(201, base, tokens, { headers: { authorization: `Bearer ${tenant.token}` }, json: { type: 'application/astra-token', version: '1.0', name: `profile ${i}` } })).json().token
    }
    return { path: `${tokens}?limit=10`, headers: { authorization: `Bearer ${token}` } }
  },
  async S4 (_base, _adminToken, tenant) {
    return { method: 'POST', path: `/v1.0/${tenant.accountId}/agent_tokens`, headers: { 'x-auth-token': tenant.token, 'content-type': 'application/json' }, body: '{"label":"profile"}', status: 201 }
  },
  async S5 (base, adminToken, tenant) {
    await expectCall(201, base, `/admin/v1/accounts/${tenant.accountId}/host-factories`, { headers: { 'x-auth-token': adminToken }, json: { id: 'hf-write', layers: ['profile'] } })
    const token = await conjurToken(base, tenant.accountName, tenant.user.name, tenant.user.apiKey)
    const body = `host_factory=${encodeURIComponent(`${tenant.accountName}:host_factory:hf-write`)}&expiration=2050-12-31T23%3A59%3A59Z`
    return { method: 'POST', path: '/host_factory_tokens', headers: { authorization: `Token token="${token}"`, 'content-type': 'application/x-www-form-urlencoded' }, body, status: 200 }
  },
  async S6 (_base, _adminToken, tenant) {
    const auth = { passwordCredentials: { username: tenant.user.name, password: tenant.user.password }, tenantId: tenant.accountId }
    return { method: 'POST', path: '/v2.0/tokens', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth }) }
  },
  async S8 (base, adminToken, tenant) {
    await expectCall(201, base, `/admin/v1/accounts/${tenant.accountId}/host-factories`, { headers: { 'x-auth-token': adminToken }, json: { id: 'hf-read', layers: ['profile'] } })
    const token = await conjurToken(base, tenant.accountName, tenant.user.name, tenant.user.apiKey)
    return { path: `/resources/${tenant.accountName}/host_factory/hf-read`, headers: { authorization: `Token token="${token}"` } }
  }
}
const scenario = SCENARIOS[SCENARIO]
if (!scenario) throw new Error(`BENCH_SCENARIO must be one of ${Object.keys(SCENARIOS).join(', ')}, not ${SCENARIO}`)

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}
interface CpuProfile { nodes: ProfileNode[], samples: number[] }

/** Where a script lives, in words: a package, Tessera's own code, or Node itself. */
function owner (url: string): string {
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (module) return module[1]!
  if (url.includes('/dist/')) return 'tessera'
  if (url.startsWith('node:')) return 'node'
  return url === '' ? '(native, gc, idle)' : url
}

function summarise (profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const functions = new Map<string, number>()
  const owners = new Map<string, number>()
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + 1)
    owners.set(owner(frame.url), (owners.get(owner(frame.url)) ?? 0) + 1)
  }
  const total = profile.samples.length
  const top = (counts: Map<string, number>, n: number) => [...counts].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, count]) => `| ${(100 * count / total).toFixed(1)}% | ${name} |`).join('\n')
  return `### Self time by owner\n\n| share | owner |\n| --- | --- |\n${top(owners, 15)}\n\n### Self time by function\n\n| share | function |\n| --- | --- |\n${top(functions, 30)}\n`
}

/** Load on `url` of `server`: req/s, latencies, and the server's CPU time per request (less sensitive to a busy machine). */
async function measure (server: BenchProcess, url: string, request: { headers?: Record<string, string>, method?: 'POST', body?: string, status?: number } = {}): Promise<string> {
  const before = cpuSecondsOf(server.pid)
  const figures = await load({ url, headers: request.headers, method: request.method, body: request.body, expectStatus: request.status ?? 200, connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: 0, runs: 1 })
  if (figures.unexpected > 0) throw new Error(`${figures.unexpected} answers were not ${request.status ?? 200}`)
  const requests = figures.requestsPerSecond.median * SECONDS
  return `${Math.round(figures.requestsPerSecond.median)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${Math.round(1e6 * (cpuSecondsOf(server.pid) - before) / requests)} µs of CPU per request, RSS ${Math.round(server.rssMb())} MB after`
}

const hello = await startHelloWorld()
try {
  process.stdout.write(`B1 hello world: ${await measure(hello, `${hello.url}/`)}\n`)
} finally {
  await hello.stop()
}

const name = `tessera_bench_${randomBytes(4).toString('hex')}`
const admin = createDb({ databaseUrl: BENCH_DATABASE_URL, poolMax: 1 }).db
await sql`create database ${sql.id(name)}`.execute(admin)
const url = new URL(BENCH_DATABASE_URL)
url.pathname = `/${name}`
const profileDir = await mkdtemp(join(tmpdir(), 'tessera-profile-'))
try {
  const env = { DATABASE_URL: url.toString(), TESSERA_SECRET_KEY: randomBytes(32).toString('base64'), TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD }
  const tessera = await startTessera(env, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])
  try {
    const adminToken = await keystoneLogin(tessera.url, { passwordCredentials: { username: 'admin', password: ADMIN_PASSWORD }, tenantName: 'admin' })
    const tenant = await createTenant(tessera.url, adminToken, 'profile')
    const { path, ...request } = await scenario(tessera.url, adminToken, tenant)
    process.stdout.write(`${SCENARIO}${PROFILE ? ' under --cpu-prof' : ''}: ${await measure(tessera, `${tessera.url}${path}`, request)}\n\n`)
  } finally {
    await tessera.stop()
  }
  if (PROFILE) {
    const [file] = (await readdir(profileDir)).filter((entry) => entry.endsWith('.cpuprofile'))
    if (!file) throw new Error('the server wrote no CPU profile')
    process.stdout.write(summarise(JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile))
  }
} finally {
  await rm(profileDir, { recursive: true, force: true })
  await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
  await admin.destroy()
}
