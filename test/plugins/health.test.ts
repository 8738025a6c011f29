import { readdir } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { createDb } from '../../src/db/database.js'
import { MIGRATIONS_FOLDER, migrateToLatest } from '../../src/db/migrate.js'
import { createFreshDatabase, type FreshDatabase } from '../db/fresh-database.js'
import { setupTestApp, testConfig, type TestApp } from '../helpers/test-app.js'
import { databaseUrl } from '../helpers/test-database.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('on a migrated database', () => {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t.close())

  it('GET /healthz answers 200', async () => {
    const response = await t.app.inject({ url: '/healthz' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
    expect(response.headers['x-request-id']).toMatch(UUID)
  })

  it('GET /readyz answers 200, and again once the result is remembered', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await t.app.inject({ url: '/readyz' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ status: 'ready' })
    }
  })
})

describe('on a database that is not migrated', () => {
  let fresh: FreshDatabase
  let app: App
  beforeAll(async () => {
    fresh = await createFreshDatabase()
    app = await buildApp({ config: testConfig(), db: fresh.db })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await fresh.drop()
  })

  it('GET /readyz answers 503 naming the pending migrations, then 200 once they are applied', async () => {
    const pending = (await readdir(MIGRATIONS_FOLDER)).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, '')).sort()
    const response = await app.inject({ url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toEqual({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: `migrations not applied: ${pending.join(', ')}` })

    // Liveness does not depend on the database.
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)

    await migrateToLatest(fresh.db)
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready' })
  })
})

/** Answers 503 in the Keystone dialect (OpenStack clients read `error.code` and retry). */
function expectKeystone503 (response: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }) {
  expect(response.statusCode).toBe(503)
  expect(response.headers['retry-after']).toBe('5')
  expect(response.json()).toEqual({ error: { message: 'The database is unavailable; try again shortly.', code: 503, title: 'Service Unavailable' } })
}

describe('on a database that is down (nothing listens)', () => {
  let app: App
  let destroy: () => Promise<void>
  beforeAll(async () => {
    const { db } = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })
    destroy = () => db.destroy()
    app = await buildApp({ config: testConfig(), db })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await destroy()
  })

  it('GET /healthz still answers 200', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)
  })

  it('GET /readyz answers 503 with the default error body', async () => {
    const response = await app.inject({ url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: 'The database is not reachable.' })
  })

  it('POST /v2.0/tokens with a password answers 503 in the Keystone dialect', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v2.0/tokens',
      payload: { auth: { passwordCredentials: { username: 'someone', password: 'a-valid-looking-password' }, tenantId: '123456' } }
    })
    expectKeystone503(response)
  })

  it('POST /v2.0/tokens with an API key answers 503 in the Keystone dialect', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v2.0/tokens',
      payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: 'someone', apiKey: '0123456789abcdef0123456789abcdef' } } }
    })
    expectKeystone503(response)
  })

  it('GET /v2.0/tokens/{id} with an X-Auth-Token answers 503 in the Keystone dialect', async () => {
    const response = await app.inject({ url: '/v2.0/tokens/x', headers: { 'x-auth-token': 'f'.repeat(64) } })
    expectKeystone503(response)
  })

  it('an admin call answers 503 with the default error body', async () => {
    const response = await app.inject({ url: '/admin/v1/accounts', headers: { 'x-auth-token': 'f'.repeat(64) } })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: 'The database is unavailable; try again shortly.' })
  })

  it('no operation of the document answers 500, and each answers a status it documents', async () => {
    const document: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> } = (await app.inject({ url: '/openapi.json' })).json()
    const sample: Record<string, string> = { tenantId: '123456', accountId: 'acct-1', userId: 'user-1', tokenId: 'x', role: 'member' }
    const answers: string[] = []
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? 'x')
        const hasBody = ['post', 'put', 'patch'].includes(method)
        const response = await app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          headers: { 'x-auth-token': 'f'.repeat(64) },
          ...(hasBody ? { payload: {} } : {})
        })
        answers.push(`${method.toUpperCase()} ${path} ${response.statusCode}`)
        expect(response.statusCode, `${method} ${url}`).not.toBe(500)
        expect(Object.keys(operation.responses), `${method} ${path} answered ${response.statusCode}`).toContain(String(response.statusCode))
      }
    }
    // Every authenticated route had to ask the database who the caller is.
    expect(answers.filter((answer) => answer.endsWith(' 503')).length).toBeGreaterThanOrEqual(5)
  })

  it('an agent-token call answers 503 in the Cloud Monitoring dialect', async () => {
    const response = await app.inject({ url: '/v1.0/123456/agent_tokens', headers: { 'x-auth-token': 'f'.repeat(64) } })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ type: 'systemFailureError', code: 503 })
  })
})

describe('on a database that accepts connections but never answers', () => {
  let blackhole: Server
  const sockets = new Set<Socket>()
  const closing: Array<() => Promise<void>> = []
  /** An app whose database is the blackhole, with a 300 ms readiness timeout and this connection timeout. */
  async function appOnBlackhole (connectTimeoutMs: number): Promise<App> {
    const { port } = blackhole.address() as { port: number }
    const config = testConfig({ READINESS_TIMEOUT_MS: '300', DATABASE_CONNECT_TIMEOUT_MS: String(connectTimeoutMs) })
    const { db } = createDb({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/none`, timeouts: config.databaseTimeouts })
    const app = await buildApp({ config, db })
    await app.ready()
    closing.push(async () => {
      await app.close()
      await db.destroy()
    })
    return app
  }
  beforeAll(async () => {
    blackhole = createServer((socket) => { sockets.add(socket) })
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    // The blackhole goes first: connection attempts still waiting fail at once rather than time out.
    const closed = new Promise((resolve) => blackhole.close(resolve))
    for (const socket of sockets) socket.destroy()
    await closed
    for (const close of closing) await close()
  })

  it('GET /readyz gives up after READINESS_TIMEOUT_MS and answers 503', async () => {
    // A connection timeout far away, so only the readiness timeout can explain a prompt answer, however loaded the machine.
    const app = await appOnBlackhole(60_000)
    const started = Date.now()
    const response = await app.inject({ url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: 'The database is not reachable.' })
    // 300 ms configured: well before the 60 s connection timeout that would otherwise end it.
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('POST /v2.0/tokens answers 503 once the connection attempt times out (DATABASE_CONNECT_TIMEOUT_MS), not 500', async () => {
    const app = await appOnBlackhole(3000)
    const started = Date.now()
    const response = await app.inject({
      method: 'POST',
      url: '/v2.0/tokens',
      payload: { auth: { passwordCredentials: { username: 'someone', password: 'a-valid-looking-password' } } }
    })
    expectKeystone503(response)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900)
  }, 20_000)
})

describe.runIf(inject('testDatabase').kind === 'postgres')('on a PostgreSQL server that refuses the connection', () => {
  const source = inject('testDatabase') as { kind: 'postgres', adminUrl: string }
  const refusing = {
    'a database that does not exist (3D000)': databaseUrl(source.adminUrl ?? 'postgres://localhost/x', `tessera_missing_${Date.now()}`),
    'a role that does not exist (28000)': (() => {
      const url = new URL(source.adminUrl ?? 'postgres://localhost/x')
      url.username = `tessera_nobody_${Date.now()}`
      url.password = ''
      return url.toString()
    })()
  }

  for (const [what, url] of Object.entries(refusing)) {
    it(`${what}: readiness and token requests answer 503, never 500`, async () => {
      const { db } = createDb({ databaseUrl: url })
      const app = await buildApp({ config: testConfig(), db })
      try {
        await app.ready()
        expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503)
        expectKeystone503(await app.inject({
          method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: 'someone', password: 'a-valid-looking-password' } } }
        }))
        expectKeystone503(await app.inject({ url: '/v2.0/tokens/x', headers: { 'x-auth-token': 'f'.repeat(64) } }))
      } finally {
        await app.close()
        await db.destroy()
      }
    })
  }
})
