import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { sha256 } from '../../src/core/secrets.js'
import { collection as agentTokens, createToken as createAgentToken } from '../families/agent-tokens/helpers.js'
import { call as astraCall, collectionPath, tokenBody } from '../families/astra/helpers.js'
import { createHost, createHostFactory, grant, hfId, newMember, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'
import { insertAccount, insertUser, login, unique } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { cliOn, jsonLines } from './run-cli.js'

/**
 * The acceptance of issue 21, item 5: an export of one server's database, imported into an empty
 * database, reproduces every account, user and credential there, and the credentials work on
 * their APIs as they did.
 */

let source: TestApp
let target: TestApp
let dir: string

beforeAll(async () => {
  [source, target] = await Promise.all([setupTestApp(), setupTestApp()])
  dir = await mkdtemp(join(tmpdir(), 'tessera-transfer-'))
})
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()])
  await rm(dir, { recursive: true, force: true })
})

const cli = (t: TestApp) => cliOn(t.app.db, t.config)

/** Every credential kind made through its own API on the source server. */
async function populate (app: App) {
  // Astra's paths carry account ids as UUIDs.
  const account = await insertAccount(app.db, { id: randomUUID() })
  const admin = await insertUser(app.db, { accountId: account.id, roles: ['admin'] })
  const tenant: Tenant = { account, admin, adminToken: (await login(app, { username: admin.user.name, password: admin.password, tenantId: account.id })).token }
  const member = await newMember(app, tenant)
  const agentToken = await createAgentToken(app, { token: tenant.adminToken, tenantId: tenant.account.id }, { label: 'web-01' })
  const astra = await astraCall(app, tenant.adminToken, 'POST', collectionPath(tenant.account.id, tenant.admin.user.id), tokenBody('backup script', { metadata: { labels: [{ name: 'team', value: 'storage' }] } }))
  expect(astra.statusCode, astra.body).toBe(201)
  const factory = await createHostFactory(app, tenant, { layers: ['db', 'web'] })
  await grant(app, tenant, factory, `${tenant.account.name}:user:${member.user.name}`, 'read')
  const [hfToken, spare] = await newTokens(app, await userHeader(app, tenant, tenant.admin), { host_factory: hfId(tenant, factory), cidr: ['10.0.0.0/8'], count: 2 })
  const host = await createHost(app, hfToken!.token, { id: unique('host'), annotations: { rack: 'r1' } }, { remoteAddress: '10.1.2.3' })
  expect(host.statusCode, host.body).toBe(201)
  return { tenant, member, agentToken, astraToken: astra.json().token as string, factory, hfToken: hfToken!.token, spareHfToken: spare!.token, hostId: host.json().id.split(':').at(-1) as string, hostKey: host.json().api_key as string }
}

/** An export's lines without its header's time. */
function linesOf (text: string): unknown[] {
  const [header, ...rest] = jsonLines(text)
  expect(header).toEqual({ type: 'tessera-export', version: 1, exportedAt: expect.any(String), source: 'tessera' })
  return rest
}

async function conjurLogin (app: App, tenant: Tenant, login: string, secret: string) {
  return app.inject({ url: `/authn/${tenant.account.name}/login`, headers: { authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}` } })
}

describe('tessera export → tessera import into an empty database', () => {
  let made: Awaited<ReturnType<typeof populate>>
  let file: string
  let exported: string

  beforeAll(async () => {
    made = await populate(source.app)
    file = join(dir, 'export.jsonl')
    const result = await cli(source)(['export', '--output', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^exported \d+ lines to .*export\.jsonl: \d+ account, \d+ user, 1 host-factory, 1 host, \d+ api-key, 1 agent-token, 1 astra-token, 2 host-factory-token\n$/)
    exported = await readFile(file, 'utf8')
  })

  it('writes a file only its owner may read, holding no plaintext secret', async () => {
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    for (const secret of [made.agentToken, made.astraToken, made.hfToken, made.hostKey, made.tenant.admin.apiKey, made.tenant.admin.password, made.tenant.adminToken]) {
      expect(exported).not.toContain(secret)
    }
    // What it holds instead: the lookup hash, beside the sealed copy for the kinds shown again.
    expect(exported).toContain(sha256(made.agentToken).toString('hex'))
  })

  it('writes the same lines to standard output', async () => {
    const result = await cli(source)(['export'])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^tessera: exported \d+ lines\n$/)
    expect(linesOf(result.stdout)).toEqual(linesOf(exported))
  })

  it('imports every line, and the empty database then exports the same lines', async () => {
    const result = await cli(target)(['import', file])
    expect(result.stderr).toBe('')
    expect(result.code, result.stdout).toBe(0)
    expect(result.stdout).toMatch(/^TYPE +IMPORTED +SKIPPED +FAILED\n/)
    expect(result.stdout).toMatch(/\nagent-token +1 +0 +0\n/)
    expect(result.stdout).toMatch(/\nhost-factory-token +2 +0 +0\n/)
    const again = await cli(target)(['export'])
    expect(linesOf(again.stdout)).toEqual(linesOf(exported))
  })

  it('the imported password, API key and tokens authenticate on their APIs', async () => {
    const { tenant, member } = made
    const app = target.app
    const session = await login(app, { username: tenant.admin.user.name, password: tenant.admin.password, tenantId: tenant.account.id })
    const byKey = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: tenant.admin.user.name, apiKey: tenant.admin.apiKey } } } })
    expect(byKey.statusCode, byKey.body).toBe(200)

    // Agent tokens: shown again, with their original value.
    const read = await app.inject({ url: `${agentTokens(tenant.account.id)}/${made.agentToken}`, headers: { 'x-auth-token': session.token } })
    expect(read.statusCode, read.body).toBe(200)
    expect(read.json()).toMatchObject({ id: made.agentToken, token: made.agentToken, label: 'web-01' })
    const list = await app.inject({ url: agentTokens(tenant.account.id), headers: { 'x-auth-token': session.token } })
    expect(list.json().values).toEqual([expect.objectContaining({ id: made.agentToken })])

    // An Astra token opens the Astra API.
    const astra = await astraCall(app, made.astraToken, 'GET', collectionPath(tenant.account.id, tenant.admin.user.id))
    expect(astra.statusCode, astra.body).toBe(200)
    expect(astra.json().items).toEqual([expect.objectContaining({ name: 'backup script', metadata: expect.objectContaining({ labels: [{ name: 'team', value: 'storage' }] }) })])

    // A host factory token enrols a host; the enrolled host logs in with its key, shown again.
    const enrolled = await createHost(app, made.spareHfToken, { id: unique('host') }, { remoteAddress: '10.1.2.3' })
    expect(enrolled.statusCode, enrolled.body).toBe(201)
    const hostLogin = await conjurLogin(app, tenant, `host/${made.hostId}`, made.hostKey)
    expect(hostLogin.statusCode, hostLogin.body).toBe(200)
    expect(hostLogin.body).toBe(made.hostKey)

    // A user's Conjur login with the password answers the imported API key (from its sealed copy).
    const userLogin = await conjurLogin(app, tenant, tenant.admin.user.name, tenant.admin.password)
    expect(userLogin.statusCode, userLogin.body).toBe(200)
    expect(userLogin.body).toBe(tenant.admin.apiKey)

    // The member's privilege on the factory came along.
    const memberLogin = await login(app, { username: member.user.name, password: member.password, tenantId: tenant.account.id })
    expect(memberLogin.token).toBeTruthy()
  })

  it('skips every line on a second run, and records one audit event a batch and account', async () => {
    const result = await cli(target)(['import', file, '--json'])
    expect(result.code, result.stdout).toBe(0)
    const [summary] = jsonLines(result.stdout)
    expect(summary).toMatchObject({ summary: true, dryRun: false, imported: 0, failed: 0 })
    expect(summary.skipped).toBe(linesOf(exported).length)
    const events = await target.app.db.selectFrom('audit_events').select(['kind', 'actor_kind', 'details']).where('account_id', '=', made.tenant.account.id).where('kind', '=', 'import.applied').execute()
    expect(events.map((event) => (event.details as { type: string }).type).sort()).toEqual(['account', 'agent-token', 'api-key', 'astra-token', 'host', 'host-factory', 'host-factory-token', 'user'])
    expect(events.every((event) => event.actor_kind === 'cli')).toBe(true)
  })
})

describe('tessera import of sealed copies under another key', () => {
  it('fails those lines with the reason, and imports the rest', async () => {
    const made = await populate(source.app)
    const file = join(dir, 'other-key.jsonl')
    expect((await cli(source)(['export', '--output', file])).code).toBe(0)
    const other = await setupTestApp({ env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') } })
    try {
      const result = await cliOn(other.app.db, other.config)(['import', file, '--json'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^tessera: \d+ of \d+ lines failed\n$/)
      const failures = jsonLines(result.stdout).filter((line) => !line.summary)
      expect(new Set(failures.map((failure) => failure.type))).toEqual(new Set(['host', 'api-key', 'agent-token', 'host-factory-token']))
      expect(failures[0].reason).toBe("sealed does not open under this server's key (TESSERA_SECRET_KEY) for this credential: import with the key of the server that exported it, or by value")
      // Astra tokens have no sealed copy: they come over by their hash alone, and work.
      const astra = await astraCall(other.app, made.astraToken, 'GET', collectionPath(made.tenant.account.id, made.tenant.admin.user.id))
      expect(astra.statusCode, astra.body).toBe(200)
    } finally {
      await other.close()
    }
  })
})

describe('tessera import (input handling)', () => {
  it('refuses a file that is not an export, importing nothing', async () => {
    const file = join(dir, 'not-an-export.jsonl')
    await writeFile(file, '{"type":"account","id":"x1","name":"x1"}\n')
    const result = await cli(target)(['import', file])
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'tessera: line 1: not a Tessera export: the first line must be {"type":"tessera-export","version":1} (the line must have required property \'version\')\n' })
    await writeFile(file, '{"type":"tessera-export","version":2}\n')
    expect((await cli(target)(['import', file])).stderr).toBe('tessera: line 1: export format version 2 is not supported (this Tessera reads version 1)\n')
    await writeFile(file, '')
    expect((await cli(target)(['import', file])).stderr).toBe('tessera: line 1: the file is empty: an export starts with its header line\n')
  })

  it('says which file it cannot read', async () => {
    expect(await cli(target)(['import', join(dir, 'missing.jsonl')])).toEqual({ code: 1, stdout: '', stderr: `tessera: cannot read ${join(dir, 'missing.jsonl')}: ENOENT\n` })
    expect((await cli(target)(['export', '--output', join(dir, 'no-such-dir', 'x.jsonl')])).stderr).toMatch(/^tessera: cannot write .*: ENOENT\n$/)
  })

  it('needs the server key', async () => {
    const result = await cliOn(target.app.db, { ...target.config, secretKey: undefined })(['import', '-'])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^tessera: configuration error: TESSERA_SECRET_KEY is required to import/)
  })
})
