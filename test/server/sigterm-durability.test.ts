import { randomBytes, randomUUID } from 'node:crypto'
import { Agent } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { eventually } from '../helpers/eventually.js'
import { insertAccount, insertUser, type UserFixture } from '../helpers/factories.js'
import { TEST_SECRET_KEY, testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { sendRequest, type Outgoing, type Reply } from './http-client.js'
import { freePort, spawnServer, type ServerProcess } from './server-process.js'

const CLIENTS = 6
/** Load runs until each kind of write was acknowledged this often, then SIGTERM; it goes on until the server refuses connections. */
const ACKS_OF_EACH_KIND_BEFORE_SIGNAL = 20
const SHUTDOWN_GRACE_MS = 4000
const TOKENS_PER_REQUEST = 3
const LAYERS = ['db', 'web']

/** What one acknowledged (2xx) write returned: enough to find it again and use it. */
type Acknowledged =
  | { kind: 'session', token: string }
  | { kind: 'agent token', id: string }
  | { kind: 'astra token', id: string, secret: string }
  | { kind: 'host factory tokens', expiration: string, tokens: string[] }
  | { kind: 'host', id: string, apiKey: string }

interface Fixture {
  accountId: string
  accountName: string
  user: UserFixture
  session: string
  factory: string
  conjurHeader: string
  hostFactoryToken: string
}

/** One write of one family; `read` turns its 2xx reply into what must then be durable. */
interface Write {
  request: (n: number) => Outgoing
  ok: number
  read: (reply: Reply, outgoing: Outgoing) => Acknowledged
}

function writes (f: Fixture): Write[] {
  return [
    {
      request: () => ({ method: 'POST', path: '/v2.0/tokens', body: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: f.user.user.name, apiKey: f.user.apiKey }, tenantId: f.accountId } } }),
      ok: 200,
      read: (reply) => ({ kind: 'session', token: JSON.parse(reply.body).access.token.id })
    },
    {
      request: (n) => ({ method: 'POST', path: `/v1.0/${f.accountId}/agent_tokens`, headers: { 'x-auth-token': f.session }, body: { label: `load-${n}` } }),
      ok: 201,
      read: (reply) => ({ kind: 'agent token', id: String(reply.headers['x-object-id']) })
    },
    {
      request: (n) => ({ method: 'POST', path: `/accounts/${f.accountId}/core/v1/users/${f.user.user.id}/tokens`, headers: { authorization: `Bearer ${f.session}` }, body: { type: 'application/astra-token', version: '1.0', name: `load-${n}` } }),
      ok: 201,
      read: (reply) => {
        const body = JSON.parse(reply.body)
        return { kind: 'astra token', id: body.id, secret: body.token }
      }
    },
    {
      // A distinct expiration per request: the tokens one request made are the rows that share it.
      request: (n) => ({
        method: 'POST',
        path: '/host_factory_tokens',
        headers: { authorization: f.conjurHeader },
        body: { host_factory: `${f.accountName}:host_factory:${f.factory}`, expiration: new Date(Date.UTC(2050, 0, 1) + n * 1000).toISOString(), count: TOKENS_PER_REQUEST }
      }),
      ok: 200,
      read: (reply, outgoing) => ({
        kind: 'host factory tokens',
        expiration: (outgoing.body as { expiration: string }).expiration,
        tokens: JSON.parse(reply.body).map((token: { token: string }) => token.token)
      })
    },
    {
      request: (n) => ({ method: 'POST', path: '/host_factories/hosts', headers: { authorization: `Token token="${f.hostFactoryToken}"` }, body: { id: `load-${n}` } }),
      ok: 201,
      read: (reply) => {
        const body = JSON.parse(reply.body)
        return { kind: 'host', id: body.id.split(':').slice(2).join(':'), apiKey: body.api_key }
      }
    }
  ]
}

async function seed (db: TestDatabase['db'], port: number): Promise<Fixture> {
  const agent = new Agent({ keepAlive: false })
  const call = async (outgoing: Outgoing, ok: number) => {
    const reply = await sendRequest(port, agent, outgoing)
    if (reply.status !== ok) throw new Error(`${outgoing.method ?? 'GET'} ${outgoing.path}: ${reply.status} ${reply.body}`)
    return reply
  }
  // Astra wants a UUID account id; the other families take it too, so one account serves all.
  const account = await insertAccount(db, { id: randomUUID() })
  const user = await insertUser(db, { accountId: account.id, roles: ['admin'] })
  const login = await call({ method: 'POST', path: '/v2.0/tokens', body: { auth: { passwordCredentials: { username: user.user.name, password: user.password }, tenantId: account.id } } }, 200)
  const session: string = JSON.parse(login.body).access.token.id
  const factory = `hf-${randomBytes(4).toString('hex')}`
  await call({ method: 'POST', path: `/admin/v1/accounts/${account.id}/host-factories`, headers: { 'x-auth-token': session }, body: { id: factory, layers: LAYERS } }, 201)
  const access = await call({ method: 'POST', path: `/authn/${account.name}/${user.user.name}/authenticate`, headers: { 'accept-encoding': 'base64', 'content-type': 'text/plain' }, body: user.apiKey }, 200)
  const conjurHeader = `Token token="${access.body}"`
  const tokens = await call({ method: 'POST', path: '/host_factory_tokens', headers: { authorization: conjurHeader }, body: { host_factory: `${account.name}:host_factory:${factory}`, expiration: '2049-01-01T00:00:00Z' } }, 200)
  agent.destroy()
  return { accountId: account.id, accountName: account.name, user, session, factory, conjurHeader, hostFactoryToken: JSON.parse(tokens.body)[0].token }
}

/** Checks one acknowledged write through the API of a fresh app on the same database: present, and usable. */
async function isDurable (app: App, f: Fixture, session: string, ack: Acknowledged): Promise<boolean> {
  switch (ack.kind) {
    case 'session':
      return (await app.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': ack.token } })).statusCode === 200
    case 'agent token': {
      const reply = await app.inject({ url: `/v1.0/${f.accountId}/agent_tokens/${ack.id}`, headers: { 'x-auth-token': session } })
      return reply.statusCode === 200 && reply.json().token === ack.id
    }
    case 'astra token': {
      const reply = await app.inject({ url: `/accounts/${f.accountId}/core/v1/users/${f.user.user.id}/tokens/${ack.id}`, headers: { authorization: `Bearer ${ack.secret}` } })
      return reply.statusCode === 200 && reply.json().id === ack.id
    }
    case 'host factory tokens':
      // Checked together with every other token below (one listing).
      return true
    case 'host':
      return (await app.inject({ method: 'POST', url: `/authn/${f.accountName}/host%2F${ack.id}/authenticate`, headers: { 'content-type': 'text/plain' }, payload: ack.apiKey })).statusCode === 200
  }
}

describe.runIf(inject('testDatabase').kind === 'postgres')('SIGTERM during a write load (PostgreSQL: the spawned server and the test share its database)', () => {
  let directory: string
  let database: TestDatabase
  let server: ServerProcess | undefined
  let app: App | undefined
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tessera-sigterm-'))
    database = await createTestDatabase()
  })
  afterAll(async () => {
    server?.signal('SIGKILL')
    await server?.exited
    await app?.close()
    await database?.drop()
    await rm(directory, { recursive: true, force: true })
  })

  it('every 2xx is durable and usable, nothing is half-applied, and the process exits 0 within the grace period', async () => {
    const port = await freePort()
    server = await spawnServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url!,
      TESSERA_SECRET_KEY: TEST_SECRET_KEY,
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      DATA_DIR: join(directory, 'unused')
    })
    const probe = new Agent({ keepAlive: false })
    const deadline = Date.now() + 60_000
    while ((await sendRequest(port, probe, { path: '/readyz' }).catch(() => undefined))?.status !== 200) {
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${server.stderr()}`)
      // A poll's interval: the server says when it is ready only by answering.
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    probe.destroy()
    const fixture = await seed(database.db, port)
    const kinds = writes(fixture)

    const acknowledged: Acknowledged[] = []
    const refused: Record<string, number> = {}
    const problems: string[] = []
    let next = 0
    async function client (): Promise<void> {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      for (;;) {
        const n = next++
        const write = kinds[n % kinds.length]!
        const outgoing = write.request(n)
        const reply = await sendRequest(port, agent, outgoing).catch((error: NodeJS.ErrnoException) => error)
        if (reply instanceof Error) {
          // Refused: the server stopped listening. Reset: it closed a connection before reading the request.
          refused[reply.code ?? reply.message] = (refused[reply.code ?? reply.message] ?? 0) + 1
          if (reply.code === 'ECONNREFUSED') break
          continue
        }
        if (reply.status === write.ok) acknowledged.push(write.read(reply, outgoing))
        else if (reply.status === 503) refused['503'] = (refused['503'] ?? 0) + 1
        else problems.push(`${outgoing.method} ${outgoing.path}: ${reply.status} ${reply.body}`)
      }
      agent.destroy()
    }
    const load = Promise.all(Array.from({ length: CLIENTS }, client))
    // Every kind of write is flowing (about a hundred writes acknowledged, as in 1.5 s of an idle machine) when the signal comes.
    await eventually(() => {
      const acks = new Map<string, number>()
      for (const { kind } of acknowledged) acks.set(kind, (acks.get(kind) ?? 0) + 1)
      expect(acks.size, JSON.stringify({ acks: [...acks], problems, refused })).toBe(kinds.length)
      expect(Math.min(...acks.values())).toBeGreaterThanOrEqual(ACKS_OF_EACH_KIND_BEFORE_SIGNAL)
    }, 60_000)
    const ackedBeforeSignal = acknowledged.length
    const signalled = Date.now()
    server.signal('SIGTERM')
    const { code, signal } = await server.exited
    const exitedAfterMs = Date.now() - signalled
    await load

    expect(problems).toEqual([])
    expect({ code, signal }, server.stdout() + server.stderr()).toEqual({ code: 0, signal: null })
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_GRACE_MS)
    expect(ackedBeforeSignal).toBeGreaterThan(kinds.length)

    // A fresh app (another replica, in effect) on the same database finds and uses every acknowledged write.
    app = await buildApp({ config: testConfig(), db: database.db })
    const relogin = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: fixture.user.user.name, password: fixture.user.password }, tenantId: fixture.accountId } } })
    const session: string = relogin.json().access.token.id
    const lost: Acknowledged[] = []
    for (const ack of acknowledged) if (!await isDurable(app, fixture, session, ack)) lost.push(ack)
    expect(lost).toEqual([])

    // Host factory tokens: every acknowledged one is listed; every request's tokens are all there or none.
    const resource = await app.inject({ url: `/resources/${fixture.accountName}/host_factory/${fixture.factory}`, headers: { authorization: fixture.conjurHeader } })
    expect(resource.statusCode).toBe(200)
    const listed = new Set(resource.json().tokens.map((token: { token: string }) => token.token))
    const ackedTokens = acknowledged.flatMap((ack) => (ack.kind === 'host factory tokens' ? ack.tokens : []))
    expect(ackedTokens.filter((token) => !listed.has(token))).toEqual([])
    const groups = await sql<{ expiration: Date, n: number }>`
      select expiration, count(*)::int as n from host_factory_tokens
      where account_id = ${fixture.accountId} and host_factory_id = ${fixture.factory} and expiration >= '2050-01-01'
      group by expiration`.execute(database.db)
    expect(groups.rows.filter((group) => group.n !== TOKENS_PER_REQUEST)).toEqual([])
    // Hosts: each one enrolled (acknowledged or not) is in every layer of its factory.
    const hosts = await sql<{ id: string, layers: number }>`
      select h.id, (select count(*)::int from layer_hosts l where l.account_id = h.account_id and l.host_id = h.id) as layers
      from hosts h where h.account_id = ${fixture.accountId}`.execute(database.db)
    expect(hosts.rows.filter((host) => host.layers !== LAYERS.length)).toEqual([])
    // No secret was handed out twice.
    const secrets = acknowledged.flatMap((ack) => ack.kind === 'session' ? [ack.token] : ack.kind === 'agent token' ? [ack.id] : ack.kind === 'astra token' ? [ack.secret] : ack.kind === 'host' ? [ack.apiKey] : ack.tokens)
    expect(new Set(secrets).size).toBe(secrets.length)

    const byKind: Record<string, number> = {}
    for (const ack of acknowledged) byKind[ack.kind] = (byKind[ack.kind] ?? 0) + 1
    console.info(`sigterm durability: ${JSON.stringify({ acknowledged: acknowledged.length, durable: acknowledged.length - lost.length, ackedBeforeSignal, ackedAfterSignal: acknowledged.length - ackedBeforeSignal, byKind, refused, exitedAfterMs, hosts: hosts.rows.length, tokenRequests: groups.rows.length })}`)
  }, 120_000)
})
