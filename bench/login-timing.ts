import { performance } from 'node:perf_hooks'
import type { DatabaseKind } from '../src/db/database.js'
import { createAccount, createUser } from '../src/services/identity.js'
import { openBenchDatabase, printTable } from './lib.js'

/**
 * Failed logins of an unknown user and of a known user with a wrong password must take the
 * same time, or response times tell which names exist; so must a Conjur login to an unknown account. Measured in one process through
 * app.inject, with production's argon2 cost, one request at a time, the two kinds interleaved
 * in random order: Keystone's POST /v2.0/tokens and Conjur's GET /authn/{account}/login.
 * Run: npm run bench -- login-timing   (BENCH_LOGIN_ITERATIONS=200 per kind and API, BENCH_DATABASE=postgres|pglite)
 */
const ITERATIONS = Number(process.env.BENCH_LOGIN_ITERATIONS ?? 200)
const KIND = (process.env.BENCH_DATABASE ?? 'postgres') as DatabaseKind
const WARMUP = 10

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

interface Timing { p50: number, p99: number, mean: number }

function summarise (samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: at(sorted, 0.5), p99: at(sorted, 0.99), mean: samples.reduce((sum, value) => sum + value, 0) / samples.length }
}

// One client sends every attempt: the failure limits would refuse most of them unchecked.
const bench = await openBenchDatabase(KIND, { AUTH_FAILURES_PER_USER: '0', AUTH_FAILURES_PER_CLIENT: '0', RATE_LIMIT_MAX: '0' })
const { app, db } = bench
try {
  const account = await createAccount(db, { id: '737373', name: 'timing' })
  const known = await createUser(db, app.credentialTools, { accountId: account.id, name: 'known-user', password: 'the right password', roles: ['member'] })
  const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`

  /** One failed login of each kind, as [name, request] pairs, each answering 401. */
  const attempts = {
    'keystone unknown user': (i: number) => app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: `nobody-${i}`, password: `wrong password ${i}` } } } }),
    'keystone wrong password': (i: number) => app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: known.user.name, password: `wrong password ${i}` } } } }),
    'conjur unknown user': (i: number) => app.inject({ url: `/authn/${account.name}/login`, headers: { authorization: basic(`nobody-${i}`, `wrong password ${i}`) } }),
    'conjur wrong password': (i: number) => app.inject({ url: `/authn/${account.name}/login`, headers: { authorization: basic(known.user.name, `wrong password ${i}`) } }),
    'conjur unknown account': (i: number) => app.inject({ url: `/authn/no-account-${i}/login`, headers: { authorization: basic(known.user.name, `wrong password ${i}`) } })
  }
  const names = Object.keys(attempts) as (keyof typeof attempts)[]
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof attempts, number[]>
  // Interleaved in a random order, so drift in the machine's load falls on every kind alike.
  const schedule = names.flatMap((name) => Array.from({ length: ITERATIONS + WARMUP }, (_, i) => ({ name, i })))
    .sort(() => Math.random() - 0.5)
  const seen = Object.fromEntries(names.map((name) => [name, 0])) as Record<keyof typeof attempts, number>
  for (const { name, i } of schedule) {
    const started = performance.now()
    const reply = await attempts[name](i)
    const elapsed = performance.now() - started
    if (reply.statusCode !== 401) throw new Error(`${name}: expected 401, got ${reply.statusCode} ${reply.body}`)
    if (seen[name]++ >= WARMUP) samples[name].push(elapsed)
  }

  const timings = Object.fromEntries(names.map((name) => [name, summarise(samples[name])])) as Record<keyof typeof attempts, Timing>
  printTable(`Failed login timing, ${KIND}, ${ITERATIONS} attempts each (ms)`, ['attempt', 'p50', 'p99', 'mean'],
    names.map((name) => [name, timings[name].p50.toFixed(2), timings[name].p99.toFixed(2), timings[name].mean.toFixed(2)]))
  for (const api of ['keystone', 'conjur'] as const) {
    const unknown = timings[`${api} unknown user`]
    const wrong = timings[`${api} wrong password`]
    process.stdout.write(`${api}: unknown − known, p50 ${(unknown.p50 - wrong.p50).toFixed(2)} ms (${((unknown.p50 / wrong.p50 - 1) * 100).toFixed(1)}%), ` +
      `p99 ${(unknown.p99 - wrong.p99).toFixed(2)} ms, mean ${(unknown.mean - wrong.mean).toFixed(2)} ms\n`)
  }
  const noAccount = timings['conjur unknown account']
  const wrong = timings['conjur wrong password']
  process.stdout.write(`conjur: unknown account ÷ known account, p50 ${(noAccount.p50 / wrong.p50).toFixed(2)}×, mean ${(noAccount.mean / wrong.mean).toFixed(2)}×\n`)
} finally {
  await bench.close()
}
