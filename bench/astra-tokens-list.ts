import { randomBytes, randomUUID } from 'node:crypto'
import { cpus } from 'node:os'
import { sql } from 'kysely'
import { encodeCursor } from '../src/families/astra/list-query.js'
import { createAccount, createUser } from '../src/services/identity.js'
import { openBenchDatabase, printTable, type BenchDatabase } from './lib.js'

/**
 * GET /accounts/{a}/core/v1/users/{u}/tokens?limit=100 through app.inject, on PostgreSQL, with
 * 1 000 and with 1 000 000 tokens for one user (each in its own throwaway database): the first
 * page and a middle page (by continue) in the default order (id), and a filtered order
 * (`orderBy=creationTimestamp desc` with `filter=metadata.creationTimestamp lte '<middle>'`).
 * Keyset pages over an index should cost the same at both sizes; the two are timed in alternating
 * rounds, so that load from other processes weighs on both alike.
 * Run: npm run bench -- astra-tokens-list
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; BENCH_ITERATIONS).
 */
const SIZES = [1_000, 1_000_000]
const PAGE = 100
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const ROUNDS = 10
const BATCH = 10_000
const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z')

interface Seeded {
  size: number
  bench: BenchDatabase
  token: string
  path: string
  /** The id in the middle of the id order, and the creation time of the middle token. */
  middleId: string
  middleTime: string
  seedSeconds: number
}

/** One user with `size` tokens (distinct creation milliseconds), 10 000 rows per statement through unnest(). */
async function seed (size: number): Promise<Seeded> {
  const bench = await openBenchDatabase('postgres')
  const { app, db } = bench
  const started = performance.now()
  const account = await createAccount(db, { id: randomUUID(), name: 'bench-account' })
  const { user } = await createUser(db, app.credentialTools, { accountId: account.id, name: 'bench-user', password: 'bench-password', roles: ['member'] })

  const allIds: string[] = []
  for (let offset = 0; offset < size; offset += BATCH) {
    const count = Math.min(BATCH, size - offset)
    const ids: string[] = []
    const names: string[] = []
    const hashes: Buffer[] = []
    const times: string[] = []
    for (let i = 0; i < count; i++) {
      const index = offset + i
      const id = randomUUID()
      ids.push(id)
      allIds.push(id)
      names.push(`token-${index}`)
      hashes.push(randomBytes(32))
      times.push(new Date(BASE_MS + index).toISOString())
    }
    await sql`insert into user_tokens (account_id, user_id, id, name, secret_hash, created_at, modified_at, created_by)
      select ${account.id}, ${user.id}, t.id, t.name, t.hash, t.at, t.at, ${user.id}
      from unnest(${ids}::text[], ${names}::text[], ${hashes}::bytea[], ${times}::timestamptz[]) as t (id, name, hash, at)`.execute(db)
  }
  await sql`vacuum analyze user_tokens`.execute(db)
  const seedSeconds = (performance.now() - started) / 1000

  const login = await app.inject({
    method: 'POST',
    url: '/v2.0/tokens',
    payload: { auth: { passwordCredentials: { username: 'bench-user', password: 'bench-password' }, tenantId: account.id } }
  })
  if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`)
  allIds.sort()
  return {
    size,
    bench,
    token: login.json().access.token.id,
    path: `/accounts/${account.id}/core/v1/users/${user.id}/tokens`,
    middleId: allIds[Math.floor(size / 2)]!,
    middleTime: new Date(BASE_MS + Math.floor(size / 2)).toISOString(),
    seedSeconds
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

/** A request for one page that fails unless it is a full page with a continue value. */
function pageRequest (seeded: Seeded, query: Record<string, string>): () => Promise<void> {
  const url = `${seeded.path}?${new URLSearchParams({ limit: String(PAGE), ...query })}`
  return async () => {
    const response = await seeded.bench.app.inject({ url, headers: { authorization: `Bearer ${seeded.token}` } })
    const body = response.json()
    if (response.statusCode !== 200 || body.items.length !== PAGE || body.metadata.continue === undefined) {
      throw new Error(`unexpected page: ${response.statusCode} ${response.body.slice(0, 200)}`)
    }
  }
}

/**
 * Times the same page at both sizes, alternating in rounds, so that load from other processes
 * on the machine weighs on both alike: per size, the median and p95 in ms.
 */
async function interleavedLatency (requests: Array<() => Promise<void>>): Promise<Array<{ p50Ms: number, p95Ms: number }>> {
  const latencies: number[][] = requests.map(() => [])
  for (const request of requests) for (let i = 0; i < 30; i++) await request()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, request] of requests.entries()) {
      for (let i = 0; i < ITERATIONS / ROUNDS; i++) {
        const begin = performance.now()
        await request()
        latencies[index]!.push(performance.now() - begin)
      }
    }
  }
  return latencies.map((values) => {
    values.sort((a, b) => a - b)
    return { p50Ms: percentile(values, 0.5), p95Ms: percentile(values, 0.95) }
  })
}

/** The plan of the filtered order's query, to show it is one backward range scan of an index. */
async function filteredPlan (seeded: Seeded): Promise<string> {
  const result = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers, costs off, timing off)
    select id, name from user_tokens
    where account_id = (select account_id from user_tokens limit 1) and user_id = (select user_id from user_tokens limit 1)
      and revoked_at is null and created_at <= ${seeded.middleTime}::timestamptz
    order by created_at desc, id desc limit ${PAGE + 1}`.execute(seeded.bench.db)
  return result.rows.map((row) => row['QUERY PLAN']).join('\n    ')
}

const seeded: Seeded[] = []
const rows: (string | number)[][] = []
const plans: string[] = []
try {
  for (const size of SIZES) seeded.push(await seed(size))
  const cases: Array<[string, (one: Seeded) => Record<string, string>]> = [
    ['default order, first page', () => ({})],
    ['default order, middle page (continue)', (one) => ({ continue: encodeCursor({ orderBy: '', filter: '', value: one.middleId, id: one.middleId }) })],
    ['creationTimestamp desc + filter', (one) => ({ orderBy: 'creationTimestamp desc', filter: `metadata.creationTimestamp lte '${one.middleTime}'` })]
  ]
  const ratios: string[] = []
  for (const [name, query] of cases) {
    const results = await interleavedLatency(seeded.map((one) => pageRequest(one, query(one))))
    for (const [index, result] of results.entries()) {
      rows.push([SIZES[index]!.toLocaleString('en-US'), name, result.p50Ms, result.p95Ms, name === cases[0]![0] ? seeded[index]!.seedSeconds : ''])
    }
    ratios.push(`${name} ${(results[1]!.p50Ms / results[0]!.p50Ms).toFixed(2)}×`)
  }
  for (const one of seeded) plans.push(`${one.size.toLocaleString('en-US')} tokens, creationTimestamp desc + filter:\n    ${await filteredPlan(one)}`)
  process.stdout.write(`\nmedian ratio 1 000 000 / 1 000: ${ratios.join('; ')}\n`)
} finally {
  for (const one of seeded) await one.bench.close()
}

printTable(
  `GET /accounts/{a}/core/v1/users/{u}/tokens?limit=${PAGE} through app.inject on PostgreSQL, ${ITERATIONS} iterations each (${cpus().length} CPUs, ${process.version})`,
  ['tokens of the user', 'page', 'median ms', 'p95 ms', 'seed s'],
  rows
)
process.stdout.write(`\n${plans.join('\n\n')}\n`)
