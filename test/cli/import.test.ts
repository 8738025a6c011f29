import { pbkdf2Sync, randomUUID } from 'node:crypto'
import { hash as argon2 } from '@node-rs/argon2'
import { hash as bcrypt } from '@node-rs/bcrypt'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from '../../src/core/secrets.js'
import { conjurSecretOf } from '../../src/families/conjur/secrets.js'
import { collection as agentTokens } from '../families/agent-tokens/helpers.js'
import { call as astraCall, collectionPath } from '../families/astra/helpers.js'
import { createHost } from '../families/conjur/helpers.js'
import { login, unique } from '../helpers/factories.js'
import { setupTestApp, TEST_PASSWORD_HASHING, type TestApp } from '../helpers/test-app.js'
import { cliOn, jsonLines, pipedStdin } from './run-cli.js'

/** Imports from the system being replaced: credentials by value, foreign password hashes, and lines that fail alone. */

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

const HEADER = { type: 'tessera-export', version: 1, source: 'a migration script' }

/** Runs `tessera import -` on these lines (objects as JSON, strings as they are), after the header. */
function importLines (lines: Array<object | string>, options: string[] = []) {
  const text = [HEADER, ...lines].map((line) => typeof line === 'string' ? line : JSON.stringify(line)).join('\n') + '\n'
  return cliOn(t.app.db, t.config)(['import', '-', '--json', ...options], pipedStdin(text))
}

const agentTokenOf = (accountId: string) => `${randomBytes(32).toString('hex')}.${accountId}`
const astraTokenValue = () => randomBytes(32).toString('base64')
const conjurSecret = () => conjurSecretOf(randomBytes(32))

function failuresOf (stdout: string) {
  return jsonLines(stdout).filter((line) => !line.summary)
}

function summaryOf (stdout: string) {
  return jsonLines(stdout).find((line) => line.summary)
}

async function usersNamed (name: string) {
  return t.app.db.selectFrom('users').select(['id', 'password_hash']).where('name', '=', name).execute()
}

function keystoneLogin (username: string, password: string, tenantId?: string) {
  return t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username, password }, ...(tenantId ? { tenantId } : {}) } } })
}

describe('tessera import by value, from the system being replaced', () => {
  it('keeps every value: the clients of the old system need no change', async () => {
    const accountId = randomUUID()
    const accountName = unique('acct')
    const [userName, password] = [unique('ops'), unique('pw')]
    const agentToken = agentTokenOf(accountId)
    const [astraToken, hfToken, hostKey, apiKey] = [astraTokenValue(), conjurSecret(), conjurSecret(), randomBytes(16).toString('hex')]
    const factory = unique('hf')
    const hostId = unique('host')
    const result = await importLines([
      { type: 'account', id: accountId, name: accountName },
      { type: 'user', account: accountId, name: userName, passwordHash: await bcrypt(password, 4), roles: [{ account: accountId, role: 'admin' }] },
      { type: 'host-factory', account: accountId, id: factory, owner: { user: userName }, layers: ['web'] },
      { type: 'host', account: accountId, id: hostId, layers: ['web'], hostFactory: factory, apiKey: { value: hostKey } },
      { type: 'api-key', user: userName, value: apiKey },
      { type: 'agent-token', account: accountId, label: 'db-01', value: agentToken },
      { type: 'astra-token', account: accountId, user: userName, name: 'nightly', value: astraToken },
      { type: 'host-factory-token', account: accountId, hostFactory: factory, expiration: '2050-01-01T00:00:00Z', cidr: ['10.0.0.0/8'], value: hfToken }
    ])
    expect(result.stderr).toBe('')
    expect(result.code, result.stdout).toBe(0)
    expect(summaryOf(result.stdout)).toMatchObject({ imported: 8, skipped: 0, failed: 0 })

    const session = (await login(t.app, { username: userName, password, tenantId: accountId })).token
    const read = await t.app.inject({ url: `${agentTokens(accountId)}/${agentToken}`, headers: { 'x-auth-token': session } })
    expect(read.statusCode, read.body).toBe(200)
    expect(read.json()).toMatchObject({ id: agentToken, label: 'db-01' })
    const listed = await t.app.inject({ url: agentTokens(accountId), headers: { 'x-auth-token': session } })
    expect(listed.json().values.map((token: { id: string }) => token.id)).toEqual([agentToken])

    const user = (await usersNamed(userName))[0]!
    expect((await astraCall(t.app, astraToken, 'GET', collectionPath(accountId, user.id))).statusCode).toBe(200)
    const byKey = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: userName, apiKey } } } })
    expect(byKey.statusCode, byKey.body).toBe(200)
    const hostLogin = await t.app.inject({ url: `/authn/${accountName}/login`, headers: { authorization: `Basic ${Buffer.from(`host/${hostId}:${hostKey}`).toString('base64')}` } })
    expect(hostLogin.statusCode, hostLogin.body).toBe(200)
    expect(hostLogin.body).toBe(hostKey)
    const enrolled = await createHost(t.app, hfToken, { id: unique('host') }, { remoteAddress: '10.9.9.9' })
    expect(enrolled.statusCode, enrolled.body).toBe(201)
  })

  it('fails a line alone, with its number and reason, and imports the others', async () => {
    const accountId = randomUUID()
    const good = agentTokenOf(accountId)
    const long = JSON.stringify({ type: 'account', id: 'x', name: 'x'.repeat(1024 * 1024) })
    const result = await importLines([
      { type: 'account', id: accountId, name: unique('acct') },
      '{"type":"agent-token" "account":1}',
      { type: 'account', id: randomUUID(), name: 'nul\u0000name' },
      { type: 'credit-card', number: 1 },
      { type: 'agent-token', account: accountId, value: 'not-a-token' },
      { type: 'agent-token', account: accountId, value: agentTokenOf('some-other-account') },
      { type: 'agent-token', account: 'no-such-account', value: agentTokenOf('no-such-account') },
      { type: 'agent-token', account: accountId, value: good, color: 'red' },
      { type: 'agent-token', account: accountId, value: good },
      { type: 'agent-token', account: accountId, value: good },
      { type: 'user', account: accountId, name: unique('u'), passwordHash: '$md5$abc' },
      { type: 'user', account: accountId, name: unique('u'), passwordHash: `$2b$31$${'a'.repeat(53)}` },
      long,
      '[1, 2]',
      { type: 'agent-token', account: accountId, value: agentTokenOf(accountId), sha256: 'ab'.repeat(32) }
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('tessera: 12 of 15 lines failed\n')
    expect(failuresOf(result.stdout)).toEqual([
      { line: 3, type: 'unreadable', reason: 'malformed JSON at character 23' },
      { line: 4, type: 'account', reason: 'name must not contain U+0000 or an unpaired UTF-16 surrogate' },
      { line: 5, type: 'unreadable', reason: expect.stringMatching(/^unknown type "credit-card" \(known: account, user, /) },
      { line: 6, type: 'agent-token', reason: `value must be an agent token of account ${accountId}: 64 lowercase hex digits, '.', then the account id` },
      { line: 7, type: 'agent-token', reason: `value must be an agent token of account ${accountId}: 64 lowercase hex digits, '.', then the account id` },
      { line: 8, type: 'agent-token', reason: "unknown account 'no-such-account'" },
      { line: 9, type: 'agent-token', reason: "the line has an unknown field 'color'" },
      { line: 12, type: 'user', reason: expect.stringMatching(/^passwordHash is not a supported format: argon2id or argon2i/) },
      { line: 13, type: 'user', reason: expect.stringMatching(/^passwordHash is not a supported format/) },
      { line: 14, type: 'unreadable', reason: 'the line is longer than 1048576 bytes' },
      { line: 15, type: 'unreadable', reason: 'a line must be a JSON object' },
      { line: 16, type: 'agent-token', reason: 'give either value, or sha256 and sealed, not both' }
    ])
    expect(summaryOf(result.stdout)).toMatchObject({ imported: 2, skipped: 1, failed: 12 })
    const stored = await t.app.db.selectFrom('agent_tokens').select('label').where('account_id', '=', accountId).execute()
    expect(stored).toHaveLength(1)
  })

  it('gives no credential of the file to another user of the same name, and adds no super-admin without --allow-admin-account', async () => {
    const accountId = randomUUID()
    const name = unique('alice')
    const here = await importLines([{ type: 'account', id: accountId, name: unique('acct') }, { type: 'user', account: accountId, name, id: randomUUID() }])
    expect(here.code).toBe(0)
    // Another system's alice: her user line fails (the name is taken here), and so does every credential naming her.
    const apiKey = randomBytes(16).toString('hex')
    const clash = await importLines([
      { type: 'user', account: accountId, name, id: randomUUID() },
      { type: 'api-key', user: name, value: apiKey },
      { type: 'astra-token', account: accountId, user: name, name: 'theirs', value: astraTokenValue() }
    ])
    expect(clash.code).toBe(1)
    expect(failuresOf(clash.stdout)).toEqual([
      { line: 2, type: 'user', reason: expect.stringMatching(new RegExp(`^user name "${name}" is taken by user `)) },
      { line: 3, type: 'api-key', reason: `the line of user "${name}" failed in this import: the user of that name here is another` },
      { line: 4, type: 'astra-token', reason: `the line of user "${name}" failed in this import: the user of that name here is another` }
    ])
    const [alice] = await usersNamed(name)
    expect(await t.app.db.selectFrom('user_tokens').select('id').where('user_id', '=', alice!.id).execute()).toEqual([])

    const adminAccount = t.config.admin.account
    if (!await t.app.db.selectFrom('accounts').select('id').where('id', '=', adminAccount).executeTakeFirst()) {
      await t.app.db.insertInto('accounts').values({ id: adminAccount, name: adminAccount }).execute()
    }
    const lines = [
      { type: 'user', account: accountId, name: unique('mallory'), roles: [{ account: adminAccount, role: 'admin' }] },
      { type: 'user', account: adminAccount, name: unique('trent') }
    ]
    const refused = await importLines(lines)
    expect(failuresOf(refused.stdout)).toEqual([2, 3].map((line) => ({
      line, type: 'user', reason: `the administrators' account ${adminAccount} takes users and roles only with --allow-admin-account`
    })))
    const allowed = await importLines(lines, ['--allow-admin-account'])
    expect(allowed.code).toBe(0)
    expect(summaryOf(allowed.stdout)).toMatchObject({ imported: 2, failed: 0 })
  })

  it('leaves nothing of a line that fails: a user with an unknown role account, a host naming an unknown factory', async () => {
    const accountId = randomUUID()
    const [userName, hostId] = [unique('u'), unique('host')]
    const result = await importLines([
      { type: 'account', id: accountId, name: unique('acct') },
      { type: 'user', account: accountId, name: userName, roles: [{ account: accountId, role: 'member' }, { account: 'nowhere', role: 'admin' }] },
      { type: 'host', account: accountId, id: hostId, layers: ['fresh-layer'], hostFactory: 'missing', apiKey: { value: conjurSecret() } }
    ])
    expect(result.code).toBe(1)
    expect(failuresOf(result.stdout)).toEqual([
      { line: 3, type: 'user', reason: "unknown account 'nowhere'" },
      { line: 4, type: 'host', reason: `unknown host factory 'missing' in account ${accountId}` }
    ])
    expect(await usersNamed(userName)).toEqual([])
    expect(await t.app.db.selectFrom('role_assignments').select('role').where('account_id', '=', accountId).execute()).toEqual([])
    expect(await t.app.db.selectFrom('hosts').select('id').where('account_id', '=', accountId).execute()).toEqual([])
    expect(await t.app.db.selectFrom('layers').select('id').where('account_id', '=', accountId).execute()).toEqual([])
  })

  it('writes a batch the database refuses again a line at a time: only the refused line is lost', async () => {
    const accountId = randomUUID()
    // A refusal no check before the write foresees: a trigger of the test's.
    await sql`create or replace function refuse_label() returns trigger language plpgsql as $$
      begin if new.label = 'refused' then raise exception 'label refused by the test'; end if; return new; end $$`.execute(t.app.db)
    await sql`create trigger refuse_label before insert on agent_tokens for each row execute function refuse_label()`.execute(t.app.db)
    try {
      const tokens = ['a', 'refused', 'c'].map((label) => ({ type: 'agent-token', account: accountId, label, value: agentTokenOf(accountId) }))
      const result = await importLines([{ type: 'account', id: accountId, name: unique('acct') }, ...tokens])
      expect(result.code).toBe(1)
      expect(failuresOf(result.stdout)).toEqual([{ line: 4, type: 'agent-token', reason: 'the database refused it: label refused by the test' }])
      const stored = await t.app.db.selectFrom('agent_tokens').select('label').where('account_id', '=', accountId).orderBy('label').execute()
      expect(stored.map((row) => row.label)).toEqual(['a', 'c'])
    } finally {
      await sql`drop trigger refuse_label on agent_tokens`.execute(t.app.db)
    }
  })

  it('with --dry-run, checks and counts every line and writes nothing', async () => {
    const accountId = randomUUID()
    const lines = [
      { type: 'account', id: accountId, name: unique('acct') },
      { type: 'user', account: accountId, name: unique('u') },
      { type: 'agent-token', account: accountId, value: agentTokenOf(accountId) },
      { type: 'agent-token', account: 'no-such-account', value: agentTokenOf('no-such-account') }
    ]
    const result = await importLines(lines, ['--dry-run'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('tessera: 1 of 4 lines failed (dry run)\n')
    expect(summaryOf(result.stdout)).toMatchObject({ dryRun: true, imported: 3, failed: 1 })
    expect(await t.app.db.selectFrom('accounts').select('id').where('id', '=', accountId).execute()).toEqual([])
    expect(await t.app.db.selectFrom('audit_events').select('id').where('account_id', '=', accountId).execute()).toEqual([])
  })

  it('prints each failure and a table without --json, and a progress bar on a terminal', async () => {
    const accountId = randomUUID()
    const text = [HEADER, { type: 'account', id: accountId, name: unique('acct') }, { type: 'account', id: 'bad id!', name: 'x' }].map((line) => JSON.stringify(line)).join('\n')
    let stderr = ''
    let stdout = ''
    const { runCli } = await import('../../src/cli/index.js')
    const { localOperations } = await import('../../src/cli/local-operations.js')
    const code = await runCli(['import', '-'], {
      ops: localOperations(t.app.db, t.config),
      stdin: pipedStdin(text),
      stdout: { write: (chunk: string) => { stdout += chunk } },
      stderr: Object.assign({ write: (chunk: string) => { stderr += chunk } }, { isTTY: true })
    })
    expect(code).toBe(1)
    expect(stdout).toBe('line 3 (account): id must match pattern "^[A-Za-z0-9._:-]{1,64}$"\n' +
      'TYPE     IMPORTED  SKIPPED  FAILED\n' +
      'account  1         0        1\n' +
      'total    1         0        1\n')
    expect(stderr).toBe('\r3 lines\ntessera: 1 of 2 lines failed\n')
  })
})

describe('imported password hashes', () => {
  const pbkdf2 = (password: string, salt: Buffer, iterations: number, digest: 'sha256' | 'sha512') =>
    pbkdf2Sync(password, salt, iterations, digest === 'sha256' ? 32 : 64, digest)
  const ab64 = (bytes: Buffer) => bytes.toString('base64').replaceAll('+', '.').replace(/=+$/, '')

  const FORMATS: Record<string, (password: string) => Promise<string>> = {
    argon2i: (password) => argon2(password, { algorithm: 1, memoryCost: 1024, timeCost: 2, parallelism: 1 }),
    'argon2id at another cost': (password) => argon2(password, { algorithm: 2, memoryCost: 2048, timeCost: 1, parallelism: 2 }),
    'bcrypt $2y$': async (password) => (await bcrypt(password, 4)).replace(/^\$2b\$/, '$2y$'),
    'passlib pbkdf2-sha256': async (password) => {
      const salt = randomBytes(16)
      return `$pbkdf2-sha256$29000$${ab64(salt)}$${ab64(pbkdf2(password, salt, 29000, 'sha256'))}`
    },
    'passlib pbkdf2-sha512': async (password) => {
      const salt = randomBytes(16)
      return `$pbkdf2-sha512$25000$${ab64(salt)}$${ab64(pbkdf2(password, salt, 25000, 'sha512'))}`
    },
    'Django pbkdf2_sha256': async (password) => `pbkdf2_sha256$10000$Nn0sa1tAaB$${pbkdf2(password, Buffer.from('Nn0sa1tAaB'), 10000, 'sha256').toString('base64')}`
  }

  for (const [format, make] of Object.entries(FORMATS)) {
    it(`${format}: logs in on Keystone, and is rehashed to argon2id at the server's cost`, async () => {
      const accountId = randomUUID()
      const [name, password] = [unique('u'), unique('pw')]
      const result = await importLines([
        { type: 'account', id: accountId, name: unique('acct') },
        { type: 'user', account: accountId, name, passwordHash: await make(password), roles: [{ account: accountId, role: 'member' }] }
      ])
      expect(result.code, result.stdout).toBe(0)
      const wrong = await keystoneLogin(name, `${password}x`, accountId)
      expect(wrong.statusCode).toBe(401)
      const [before] = await usersNamed(name)
      expect(before!.password_hash).not.toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/)

      const first = await keystoneLogin(name, password, accountId)
      expect(first.statusCode, first.body).toBe(200)
      const [after] = await usersNamed(name)
      expect(after!.password_hash).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${TEST_PASSWORD_HASHING.memoryCost},t=${TEST_PASSWORD_HASHING.timeCost},p=1\\$`))
      expect((await keystoneLogin(name, password, accountId)).statusCode).toBe(200)
      const events = await t.app.db.selectFrom('audit_events').select(['kind', 'actor_id', 'details']).where('object_id', '=', after!.id).where('kind', '=', 'user.password-rehashed').execute()
      expect(events).toEqual([{ kind: 'user.password-rehashed', actor_id: after!.id, details: { from: format.startsWith('argon2id') ? 'argon2id' : format.startsWith('argon2i') ? 'argon2i' : format.startsWith('bcrypt') ? 'bcrypt' : 'pbkdf2' } }])
    })
  }

  it('bcrypt: logs in on Conjur too, and is rehashed there', async () => {
    const accountId = randomUUID()
    const accountName = unique('acct')
    const [name, password] = [unique('u'), unique('pw')]
    await importLines([
      { type: 'account', id: accountId, name: accountName },
      { type: 'user', account: accountId, name, passwordHash: await bcrypt(password, 4) }
    ])
    const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}` })
    expect((await t.app.inject({ url: `/authn/${accountName}/login`, headers: basic('wrong-password') })).statusCode).toBe(401)
    const response = await t.app.inject({ url: `/authn/${accountName}/login`, headers: basic(password) })
    expect(response.statusCode, response.body).toBe(200)
    expect((await usersNamed(name))[0]!.password_hash).toMatch(/^\$argon2id\$/)
  })

  it('a stored hash Tessera cannot verify is a refused login, never an error', async () => {
    const accountId = randomUUID()
    const name = unique('u')
    await importLines([{ type: 'account', id: accountId, name: unique('acct') }, { type: 'user', account: accountId, name, roles: [{ account: accountId, role: 'member' }] }])
    await t.app.db.updateTable('users').set({ password_hash: '$2b$04$broken' }).where('name', '=', name).execute()
    const response = await keystoneLogin(name, 'anything-at-all', accountId)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })
  })
})
