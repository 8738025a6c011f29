import { cpus } from 'node:os'
import { sql } from 'kysely'
import { sha256 } from '../src/core/secrets.js'
import { newTokenId, sealingContext } from '../src/families/agent-tokens/token-id.js'
import { createAccount, createUser } from '../src/services/identity.js'
import { measureLatency, openBenchDatabase, printTable, type BenchDatabase } from './lib.js'

/**
 * GET /v1.0/{tenantId}/agent_tokens?limit=100 through app.inject, on PostgreSQL, with 1 000 and
 * with 1 000 000 tokens in one tenant (each in its own throwaway database): the first page, a
 * page from the middle (by marker) and the last page. Keyset pagination over the primary key
 * should make all of them cost the same. Run: npx tsx bench/agent-tokens-list.ts
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; BENCH_ITERATIONS).
 */
const SIZES = [1_000, 1_000_000]
const PAGE = 100
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const BATCH = 10_000
const TENANT = '424242'

interface Seeded {
  bench: BenchDatabase
  token: string
  /** Markers: the first id of the middle page and of the last page. */
  middle: string
  last: string
  seedSeconds: number
}

/** Real ids, hashes and sealed copies, inserted 10 000 rows per statement through unnest(). */
async function seed (size: number): Promise<Seeded> {
  const bench = await openBenchDatabase('postgres')
  const { app, db } = bench
  const started = performance.now()
  await createAccount(db, { id: TENANT, name: 'bench-tenant' })
  await createUser(db, app.credentialTools, { accountId: TENANT, name: 'bench-admin', password: 'bench-password', roles: ['admin'] })

  // One creation millisecond per token, ending now: distinct, increasing sort keys.
  const firstMs = Date.now() - size
  let middle = ''
  let last = ''
  for (let offset = 0; offset < size; offset += BATCH) {
    const count = Math.min(BATCH, size - offset)
    const sortKeys: string[] = []
    const hashes: Buffer[] = []
    const sealed: Buffer[] = []
    const labels: string[] = []
    for (let i = 0; i < count; i++) {
      const index = offset + i
      const { id, sortKey } = newTokenId(TENANT, firstMs + index)
      if (index === size / 2) middle = id
      if (index === size - PAGE) last = id
      sortKeys.push(sortKey)
      hashes.push(sha256(id))
      sealed.push(app.credentialTools.box.seal(id, sealingContext(TENANT, sortKey)))
      labels.push(`agent-${index}`)
    }
    await sql`insert into agent_tokens (account_id, sort_key, secret_hash, token_sealed, label)
      select ${TENANT}, * from unnest(${sortKeys}::text[], ${hashes}::bytea[], ${sealed}::bytea[], ${labels}::text[])`.execute(db)
  }
  await sql`vacuum analyze agent_tokens`.execute(db)
  const seedSeconds = (performance.now() - started) / 1000

  const login = await app.inject({
    method: 'POST',
    url: '/v2.0/tokens',
    payload: { auth: { passwordCredentials: { username: 'bench-admin', password: 'bench-password' }, tenantId: TENANT } }
  })
  if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`)
  return { bench, token: login.json().access.token.id, middle, last, seedSeconds }
}

async function pageLatency (seeded: Seeded, marker: string | undefined, expectNext: boolean) {
  const url = `/v1.0/${TENANT}/agent_tokens?limit=${PAGE}${marker === undefined ? '' : `&marker=${marker}`}`
  const check = async () => {
    const response = await seeded.bench.app.inject({ url, headers: { 'x-auth-token': seeded.token } })
    const body = response.json()
    if (response.statusCode !== 200 || body.values.length !== PAGE || (body.metadata.next_marker !== null) !== expectNext) {
      throw new Error(`unexpected page: ${response.statusCode} ${response.body.slice(0, 200)}`)
    }
  }
  return measureLatency(check, { iterations: ITERATIONS, warmup: 30 })
}

/** The plan of the middle page's query, to show it is one range scan of the primary key. */
async function middlePlan (seeded: Seeded): Promise<string> {
  const result = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers, costs off, timing off)
    select account_id, sort_key, token_sealed, label, created_at, updated_at from agent_tokens
    where account_id = ${TENANT} and sort_key >= ${seeded.middle.slice(0, 16)} order by sort_key limit ${PAGE + 2}`.execute(seeded.bench.db)
  return result.rows.map((row) => row['QUERY PLAN']).join('\n    ')
}

const rows: (string | number)[][] = []
const plans: string[] = []
for (const size of SIZES) {
  const seeded = await seed(size)
  try {
    const first = await pageLatency(seeded, undefined, true)
    const middle = await pageLatency(seeded, seeded.middle, true)
    const last = await pageLatency(seeded, seeded.last, false)
    const label = size.toLocaleString('en-US')
    rows.push(
      [label, 'first page', first.p50Ms, first.p95Ms, seeded.seedSeconds],
      [label, 'middle page (marker)', middle.p50Ms, middle.p95Ms, ''],
      [label, 'last page (marker)', last.p50Ms, last.p95Ms, '']
    )
    plans.push(`${label} tokens, middle page:\n    ${await middlePlan(seeded)}`)
  } finally {
    await seeded.bench.close()
  }
}

printTable(
  `GET /v1.0/{tenantId}/agent_tokens?limit=${PAGE} through app.inject on PostgreSQL, ${ITERATIONS} iterations each (${cpus().length} CPUs, ${process.version})`,
  ['tokens in tenant', 'page', 'median ms', 'p95 ms', 'seed s'],
  rows
)
process.stdout.write(`\n${plans.join('\n\n')}\n`)
