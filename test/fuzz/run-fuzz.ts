import fc from 'fast-check'
import type { App } from '../../src/app.js'
import type { Database } from '../../src/db/database.js'
import { fingerprint, listTables } from '../helpers/tables.js'
import { errorShapeProblem, familyOf, type Reply } from './error-shapes.js'
import { createFuzzFixtures, type FuzzFixtures } from './fixtures.js'
import { listOperations, type Operation } from './operations.js'
import { anyRequest, type FuzzRequest } from './requests.js'

const RECORDS_REFUSALS = new Set(['audit_events', 'auth_failures'])

/** Requests per batch: the database's fingerprint is compared around each batch. */
const BATCH = 25

export interface FuzzOptions {
  app: App
  db: Database
  /** Generated requests to send (rounded up to whole batches). */
  runs: number
  /** Which share of the operations this run covers, e.g. [0, 2] for the first half of two. */
  share: [number, number]
  seed: number
  /** A fast-check path, to replay one failing batch at once (FUZZ_PATH). */
  path?: string
}

export interface FuzzReport {
  requests: number
  statuses: Record<number, number>
  fixtureRenewals: number
  comparedBatches: number
}

/** Why a reply breaks the rules, or null: no 5xx but a documented 503, errors in the family's shape. */
function problemWith (request: FuzzRequest, reply: Reply, operation: Operation | undefined): string | null {
  if (reply.statusCode >= 500 && !(reply.statusCode === 503 && operation?.statuses.includes(503))) return `status ${reply.statusCode}`
  if (reply.statusCode < 400) return null
  // app.inject resolves dot segments (`/resources/../x` is `/x`) as a WHATWG URL does.
  const problem = errorShapeProblem(familyOf(new URL(request.url, 'http://localhost').pathname), reply, request.method)
  return problem === null ? null : `${reply.statusCode} not in the family's error shape: ${problem}`
}

function describe (request: FuzzRequest, reply: Reply): string {
  const payload = request.payload === undefined ? undefined : String(request.payload).slice(0, 500)
  return JSON.stringify({ request: { ...request, url: request.url.slice(0, 500), payload }, reply: { status: reply.statusCode, headers: reply.headers, body: reply.body.slice(0, 1000) } }, null, 2)
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Requests whose success may write: all but reads, and Conjur's login (a GET), which mints an API key for a user who has none. */
function mayWrite (request: FuzzRequest): boolean {
  return !READS.has(request.method) || /^\/authn\/[^/]+\/login$/.test(new URL(request.url, 'http://localhost').pathname)
}

/**
 * Requests whose success may end a credential the fuzzer holds: a deletion, a change, a new API
 * key, a kill switch; not one of a decoy (renewing the fixtures is the fuzzer's slowest step).
 */
function mayRevoke (request: FuzzRequest, fixtures: FuzzFixtures): boolean {
  if (request.url.includes('/api-key') || request.url.includes('/revoke-credentials')) return true
  if (!['DELETE', 'PUT', 'PATCH'].includes(request.method)) return false
  const target = new URL(request.url, 'http://localhost').pathname.split('/').at(-1) ?? ''
  return !fixtures.decoys.some((decoy) => encodeURIComponent(decoy) === target)
}

/**
 * Drives the operations of the app's /openapi.json with generated requests and asserts, per
 * request, the reply rules and, per batch of rejected requests, that no row changed.
 */
export async function fuzzRoutes (options: FuzzOptions): Promise<FuzzReport> {
  const { app, db } = options
  const all = await listOperations(app)
  const [part, parts] = options.share
  const operations = all.filter((_, index) => index % parts === part)
  const byKey = new Map(all.map((operation) => [`${operation.method} ${operation.path}`, operation]))
  // The audit trail records refusals by design (and auth_failures counts failed credentials):
  // every other table must stay as it was.
  const tables = (await listTables(db)).filter((table) => !RECORDS_REFUSALS.has(table))
  let fixtures: FuzzFixtures = await createFuzzFixtures(app)
  let state = await fingerprint(db, tables)
  const report: FuzzReport = { requests: 0, statuses: {}, fixtureRenewals: 0, comparedBatches: 0 }

  const property = fc.asyncProperty(fc.array(anyRequest(operations), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
    let changed = false
    let revoked = false
    for (const generate of batch) {
      const request = generate(fixtures)
      const response = await app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) })
      report.requests++
      report.statuses[response.statusCode] = (report.statuses[response.statusCode] ?? 0) + 1
      const reply = { statusCode: response.statusCode, headers: response.headers, body: response.body }
      const problem = problemWith(request, reply, byKey.get(request.operation))
      if (problem) throw new Error(`${problem}\n${describe(request, reply)}`)
      if (response.statusCode < 400 && mayWrite(request)) changed = true
      if (response.statusCode < 400 && mayRevoke(request, fixtures)) revoked = true
    }
    if (revoked) {
      // A request that succeeded may have revoked a credential the fuzzer holds: take new ones.
      fixtures = await createFuzzFixtures(app)
      report.fixtureRenewals++
    }
    const after = await fingerprint(db, tables)
    if (!changed) {
      report.comparedBatches++
      const differing = Object.keys(after).filter((table) => after[table] !== state[table])
      if (differing.length > 0) throw new Error(`rejected requests changed the tables ${differing.join(', ')}`)
    }
    state = after
  })

  const numRuns = Math.ceil(options.runs / BATCH)
  try {
    await fc.assert(property, { seed: options.seed, numRuns, endOnFailure: true, ...(options.path ? { path: options.path } : {}) })
  } catch (error) {
    const path = /path: "([^"]*)"/.exec(String(error))?.[1]
    // The counterexample is a list of closures: the request and reply are in the cause's message.
    const cause = (error as Error).cause
    const detail = cause instanceof Error ? cause.message : (error as Error).message
    throw new Error(`Fuzzing failed; replay with FUZZ_SEED=${options.seed}${path === undefined ? '' : ` FUZZ_PATH=${path}`}\n${detail}`)
  }
  return report
}
