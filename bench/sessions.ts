import { cpus } from 'node:os'
import type { DatabaseKind } from '../src/db/database.js'
import { createAccount, createUser, assignRole } from '../src/services/identity.js'
import { measureRate, openBenchDatabase, printTable, type Rate } from './lib.js'

/**
 * Sessions issued per second (password and Rackspace API-key logins) and validations per
 * second (GET /v2.0/tokens/{id} by an admin), through app.inject in one process, on the
 * embedded database and on PostgreSQL. Run: npm run bench -- sessions   (BENCH_SECONDS=5)
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const USERS = 50

async function run (kind: DatabaseKind): Promise<Record<string, Rate>> {
  const bench = await openBenchDatabase(kind)
  const { app, db } = bench
  try {
    const adminAccount = await createAccount(db, { id: app.config.admin.account, name: app.config.admin.account })
    const admin = await createUser(db, app.credentialTools, { accountId: adminAccount.id, name: 'bench-admin', password: 'bench-password', roles: ['admin'] })
    const account = await createAccount(db, { id: '424242', name: 'bench-tenant' })
    const users = await Promise.all(Array.from({ length: USERS }, (_, i) => createUser(db, app.credentialTools, { accountId: account.id, name: `bench-user-${i}`, password: 'bench-password', roles: ['member'] })))
    await assignRole(db, admin.user.id, account.id, 'admin')

    const login = async (auth: object) => {
      const response = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth } })
      if (response.statusCode !== 200) throw new Error(`login: ${response.statusCode} ${response.body}`)
      return response.json().access.token.id as string
    }
    const adminToken = await login({ passwordCredentials: { username: 'bench-admin', password: 'bench-password' }, tenantId: adminAccount.id })
    const tokens = await Promise.all(users.map((user) => login({ 'RAX-KSKEY:apiKeyCredentials': { username: user.user.name, apiKey: user.apiKey } })))

    const durationMs = SECONDS * 1000
    const password = await measureRate(async (i) => {
      await login({ passwordCredentials: { username: users[i % USERS]!.user.name, password: 'bench-password' }, tenantId: account.id })
    }, { concurrency: CONCURRENCY, durationMs })
    const apiKey = await measureRate(async (i) => {
      const user = users[i % USERS]!
      await login({ 'RAX-KSKEY:apiKeyCredentials': { username: user.user.name, apiKey: user.apiKey } })
    }, { concurrency: CONCURRENCY, durationMs })
    const validate = await measureRate(async (i) => {
      const response = await app.inject({ url: `/v2.0/tokens/${tokens[i % USERS]}`, headers: { 'x-auth-token': adminToken } })
      if (response.statusCode !== 200) throw new Error(`validate: ${response.statusCode}`)
    }, { concurrency: CONCURRENCY, durationMs })
    const authenticated = await measureRate(async (i) => {
      const response = await app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': tokens[i % USERS]! } })
      if (response.statusCode !== 200) throw new Error(`tenants: ${response.statusCode}`)
    }, { concurrency: CONCURRENCY, durationMs })
    return { 'issue (password, argon2id)': password, 'issue (Rackspace API key)': apiKey, 'validate GET /v2.0/tokens/{id}': validate, 'authenticated call GET /v2.0/tenants': authenticated }
  } finally {
    await bench.close()
  }
}

const results: Record<string, Record<string, Rate>> = {}
for (const kind of ['pglite', 'postgres'] as const) results[kind] = await run(kind)

const operations = Object.keys(results.pglite!)
printTable(
  `Sessions through app.inject, one process, ${CONCURRENCY} concurrent callers, ${SECONDS} s each (${cpus().length} CPUs, ${process.version})`,
  ['operation', 'embedded/s', 'p50 ms', 'p95 ms', 'postgres/s', 'p50 ms', 'p95 ms'],
  operations.map((operation) => {
    const embedded = results.pglite![operation]!
    const postgres = results.postgres![operation]!
    return [operation, embedded.perSecond, embedded.p50Ms, embedded.p95Ms, postgres.perSecond, postgres.p50Ms, postgres.p95Ms]
  })
)
