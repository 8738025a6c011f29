import { randomBytes } from 'node:crypto'
import { Agent } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { sendRequest, type Reply } from './http-client.js'
import { freePort, spawnServer, type ServerProcess } from './server-process.js'

function send (port: number, agent: Agent, method: string, path: string, options: { token?: string, body?: unknown } = {}): Promise<Reply> {
  return sendRequest(port, agent, { method, path, headers: options.token ? { 'x-auth-token': options.token } : {}, body: options.body })
}

/** One kind of request the clients send, and the 503 body its family must answer with. */
interface Workload {
  family: string
  method: string
  path: string
  body?: () => unknown
  ok: number
  unavailable: (reply: Reply) => unknown
}

function workloads (tenantId: string, scratchAccount: string, token: string): Workload[] {
  const monitoring = (reply: Reply) => ({ type: 'systemFailureError', code: 503, message: 'Service unavailable', details: expect.any(String), txnId: reply.headers['x-response-id'] })
  const keystone = () => ({ error: { message: expect.any(String), code: 503, title: 'Service Unavailable' } })
  const admin = () => ({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: expect.any(String) })
  return [
    { family: 'keystone', method: 'GET', path: `/v2.0/tokens/${token}`, ok: 200, unavailable: keystone },
    { family: 'keystone', method: 'GET', path: '/v2.0/tenants', ok: 200, unavailable: keystone },
    { family: 'monitoring', method: 'GET', path: `/v1.0/${tenantId}/agent_tokens`, ok: 200, unavailable: monitoring },
    { family: 'admin', method: 'GET', path: '/admin/v1/accounts?limit=5', ok: 200, unavailable: admin },
    // A rename runs in a transaction: the client stays checked out across statements.
    { family: 'admin', method: 'PATCH', path: `/admin/v1/accounts/${scratchAccount}`, body: () => ({ name: `scratch-${randomBytes(6).toString('hex')}` }), ok: 200, unavailable: admin }
  ]
}

const CLIENTS = 6
const REQUESTS = 600
const TERMINATIONS_EVERY_MS = 200
const RECOVERY_LIMIT_MS = 5000

describe.runIf(inject('testDatabase').kind === 'postgres')('a lost PostgreSQL connection (PostgreSQL only: PGlite has no backends to terminate)', () => {
  let directory: string
  let database: TestDatabase
  let server: ServerProcess | undefined
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tessera-db-loss-'))
    database = await createTestDatabase()
  })
  afterAll(async () => {
    server?.signal('SIGKILL')
    await server?.exited
    await database?.drop()
    await rm(directory, { recursive: true, force: true })
  })

  it('answers 503 in each family\'s dialect while backends are terminated, stays up, and serves again', async () => {
    const source = inject('testDatabase')
    if (source.kind !== 'postgres') throw new Error('unreachable')
    const databaseName = new URL(database.url!).pathname.slice(1)
    const password = `pw-${randomBytes(8).toString('hex')}`
    const port = await freePort()
    server = await spawnServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url!,
      TESSERA_SECRET_KEY: randomBytes(32).toString('base64'),
      TESSERA_ADMIN_PASSWORD: password,
      DATA_DIR: join(directory, 'unused')
    })
    const setup = new Agent({ keepAlive: true })
    const deadline = Date.now() + 90_000
    for (;;) {
      const ready = await send(port, setup, 'GET', '/readyz').catch(() => undefined)
      if (ready?.status === 200) break
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${server.stderr()}`)
      // A poll's interval: the server says when it is ready only by answering.
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const login = await send(port, setup, 'POST', '/v2.0/tokens', { body: { auth: { passwordCredentials: { username: 'admin', password }, tenantName: 'admin' } } })
    expect(login.status).toBe(200)
    const token: string = JSON.parse(login.body).access.token.id
    const scratchAccount = `scratch${randomBytes(4).toString('hex')}`
    expect((await send(port, setup, 'POST', '/admin/v1/accounts', { token, body: { id: scratchAccount, name: scratchAccount } })).status).toBe(201)
    expect((await send(port, setup, 'POST', '/v1.0/admin/agent_tokens', { token, body: { label: 'db-loss' } })).status).toBe(201)
    const kinds = workloads('admin', scratchAccount, token)

    // Terminates this server's backends (only this test's database) until the clients are done.
    const killer = new pg.Client({ connectionString: source.adminUrl, application_name: 'tessera-test-killer' })
    await killer.connect()
    let terminated = 0
    let lastTermination = 0
    const loadDone = new AbortController()
    const terminating = (async () => {
      while (!loadDone.signal.aborted) {
        const { rows } = await killer.query(
          'select pg_terminate_backend(pid) as gone from pg_stat_activity where application_name = $1 and datname = $2', ['tessera', databaseName])
        terminated += rows.filter((row) => row.gone).length
        lastTermination = Date.now()
        // The fault's rhythm, not a wait for anything: connections die at random points of requests.
        await new Promise((resolve) => setTimeout(resolve, TERMINATIONS_EVERY_MS))
      }
    })()

    const counts: Record<string, number> = {}
    const problems: string[] = []
    let next = 0
    async function client (): Promise<void> {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      while (next < REQUESTS) {
        const kind = kinds[next++ % kinds.length]!
        const reply = await send(port, agent, kind.method, kind.path, { token, body: kind.body?.() }).catch((error: Error) => error)
        if (reply instanceof Error) {
          problems.push(`${kind.method} ${kind.path}: ${reply.message}`)
          break
        }
        const key = `${kind.family} ${reply.status}`
        counts[key] = (counts[key] ?? 0) + 1
        if (reply.status === kind.ok) continue
        if (reply.status !== 503) problems.push(`${kind.method} ${kind.path}: ${reply.status} ${reply.body}`)
        else if (!/^\d+$/.test(String(reply.headers['retry-after']))) problems.push(`${kind.method} ${kind.path}: 503 without Retry-After`)
        else {
          try {
            expect(JSON.parse(reply.body)).toEqual(kind.unavailable(reply))
          } catch (error) {
            problems.push(`${kind.method} ${kind.path}: ${reply.body} (${(error as Error).message.split('\n')[0]})`)
          }
        }
      }
      agent.destroy()
    }
    const started = Date.now()
    try {
      await Promise.all(Array.from({ length: CLIENTS }, client))
    } finally {
      loadDone.abort()
      await terminating
    }
    const loadEnded = Date.now()
    await killer.end()

    // Serving again: a request that needs the database succeeds, by itself, soon after.
    let recoveredAfterMs = -1
    while (Date.now() - lastTermination < RECOVERY_LIMIT_MS && server.child.exitCode === null) {
      const reply = await send(port, setup, 'GET', `/v2.0/tokens/${token}`, { token }).catch(() => undefined)
      if (reply?.status === 200) {
        recoveredAfterMs = Date.now() - lastTermination
        break
      }
      // A poll's interval: recovery shows only as a request that succeeds.
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    setup.destroy()

    const summary = { requests: REQUESTS, clients: CLIENTS, loadMs: loadEnded - started, backendsTerminated: terminated, counts, recoveredAfterMs }
    console.info(`database loss: ${JSON.stringify(summary)}`)
    expect(server.child.exitCode, server.stdout() + server.stderr()).toBeNull()
    expect(server.stdout()).not.toContain('shutting down after an error')
    expect(problems).toEqual([])
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(REQUESTS)
    // The terminations did hit requests in flight, so the 503 checks above were exercised.
    expect(terminated).toBeGreaterThan(0)
    expect(Object.entries(counts).filter(([key]) => key.endsWith(' 503')).length).toBeGreaterThan(0)
    expect(recoveredAfterMs).toBeGreaterThanOrEqual(0)
    expect(recoveredAfterMs).toBeLessThan(RECOVERY_LIMIT_MS)
  }, 180_000)
})
