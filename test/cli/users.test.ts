import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PasswordHasher } from '../../src/core/credentials.js'
import { sha256 } from '../../src/core/secrets.js'
import { listRolesByAccountOfUsers } from '../../src/db/repositories/role-assignments.js'
import { findLoginCandidate, findUserById, findUserByName } from '../../src/db/repositories/users.js'
import { assignRole } from '../../src/services/identity.js'
import { insertAccount, insertTenantUser, insertUser, unique } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { cliOn, jsonLines, pipedStdin, terminalStdin } from './run-cli.js'

/** Any hasher verifies: a hash records its own cost. */
const verifyPassword = (hash: string | null | undefined, password: string) => new PasswordHasher().verify(hash, password)

const ISO_DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const API_KEY_NOTE = "The API key is printed only this once: it is stored as a hash, and sealed under the server key for Conjur's login.\n"

let database: TestDatabase
let cli: ReturnType<typeof cliOn>

beforeAll(async () => {
  database = await createTestDatabase()
  cli = cliOn(database.db, testConfig())
})
afterAll(() => database.drop())

async function storedKeyHash (userId: string): Promise<Buffer> {
  const candidate = await findLoginCandidate(database.db, { id: userId })
  return Buffer.from(candidate!.key_hash!)
}

async function passwordHash (userId: string): Promise<string | null> {
  return (await findLoginCandidate(database.db, { id: userId }))!.password_hash
}

describe('tessera users create', () => {
  it('creates a user with roles, email and a password from stdin, and prints the id and API key once', async () => {
    const account = await insertAccount(database.db)
    const [name, password] = [unique('bob'), unique('secret')]
    const result = await cli(['users', 'create', account.name, name, '--email', 'bob@example.com', '--role', 'member', '--role', 'admin', '--password-stdin'], pipedStdin(`${password}\n`))
    expect(result.code).toBe(0)
    const [, id, apiKey, accessor] = /^created user ([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}) .*\napi key: ([0-9a-f]{32})\napi key accessor: (uak_[0-9a-f]{32})\n$/s.exec(result.stdout) ?? []
    expect(result.stdout).toBe(`created user ${id} (${name}) in account ${account.id} (${account.name})\nroles:   admin, member\napi key: ${apiKey}\napi key accessor: ${accessor}\n`)
    expect(result.stderr).toBe(API_KEY_NOTE)

    expect(await findUserById(database.db, id!)).toMatchObject({ name, account_id: account.id, email: 'bob@example.com', enabled: true })
    expect((await listRolesByAccountOfUsers(database.db, [id!])).get(id!)).toEqual(new Map([[account.id, ['admin', 'member']]]))
    expect(await verifyPassword(await passwordHash(id!), password)).toBe(true)
    expect(await storedKeyHash(id!)).toEqual(sha256(apiKey!))
  })

  it('prints JSON with --json; without --password-stdin the user has no password', async () => {
    const account = await insertAccount(database.db)
    const name = unique('svc')
    const result = await cli(['users', 'create', account.id, name, '--disabled', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: API_KEY_NOTE })
    const [created] = jsonLines(result.stdout)
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), name, accountId: account.id, email: null, enabled: false, createdAt: ISO_DATE, roles: [], apiKey: expect.stringMatching(/^[0-9a-f]{32}$/), apiKeyAccessor: expect.stringMatching(/^uak_[0-9a-f]{32}$/) })
    expect(await passwordHash(created.id)).toBeNull()
    expect(await storedKeyHash(created.id)).toEqual(sha256(created.apiKey))
  })

  it('says "disabled" and "roles: none" in text output', async () => {
    const account = await insertAccount(database.db)
    const name = unique('svc')
    const result = await cli(['users', 'create', account.id, name, '--disabled'])
    expect(result.stdout).toMatch(new RegExp(`^created user [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} \\(${name}\\) in account ${account.id} \\(${account.name}\\), disabled\nroles:   none\napi key: [0-9a-f]{32}\napi key accessor: uak_[0-9a-f]{32}\n$`))
  })

  it('prompts twice without echo on a terminal', async () => {
    const account = await insertAccount(database.db)
    const [name, password] = [unique('tty'), unique('secret')]
    const stdin = terminalStdin([`${password}\r`, `${password}\r`])
    const result = await cli(['users', 'create', account.id, name, '--password-stdin'], stdin)
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`New password for ${name}: \nRepeat it: \n${API_KEY_NOTE}`)
    expect(stdin.rawModes).toEqual([true, false, true, false])
    expect(result.stdout).not.toContain(password)
    const user = await findUserByName(database.db, name)
    expect(await verifyPassword(await passwordHash(user!.id), password)).toBe(true)
  })

  it('refuses mismatched passwords on a terminal, and stops at Ctrl-C (exit 1)', async () => {
    const account = await insertAccount(database.db)
    const name = unique('tty')
    expect(await cli(['users', 'create', account.id, name, '--password-stdin'], terminalStdin(['first-password\r', 'other-password\r']))).toEqual({
      code: 1, stdout: '', stderr: `New password for ${name}: \nRepeat it: \ntessera: the two passwords do not match\n`
    })
    expect(await cli(['users', 'create', account.id, name, '--password-stdin'], terminalStdin(['abc\u0003']))).toEqual({
      code: 1, stdout: '', stderr: `New password for ${name}: \ntessera: cancelled\n`
    })
    expect(await findUserByName(database.db, name)).toBeUndefined()
  })

  it('needs TESSERA_SECRET_KEY to issue an API key (exit 3), and creates nothing', async () => {
    const account = await insertAccount(database.db)
    const keyless = cliOn(database.db, testConfig({}, { secretKey: undefined }))
    const name = unique('keyless')
    const refused = { code: 3, stdout: '', stderr: 'tessera: configuration error: TESSERA_SECRET_KEY is required to issue API keys: they are kept sealed under the server key (use the same key as the server)\n' }
    expect(await keyless(['users', 'create', account.id, name])).toEqual(refused)
    expect(await findUserByName(database.db, name)).toBeUndefined()
    const { user } = await insertTenantUser(database.db)
    expect(await keyless(['users', 'rotate-api-key', user.id])).toEqual(refused)
  })

  it('fails for an unknown account (exit 1)', async () => {
    const missing = unique('nowhere')
    expect(await cli(['users', 'create', missing, unique('bob')])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
  })

  it('refuses a name already taken (exit 1)', async () => {
    const { account, user } = await insertTenantUser(database.db)
    expect(await cli(['users', 'create', account.id, user.name])).toEqual({ code: 1, stdout: '', stderr: `tessera: a user with name ${user.name} already exists\n` })
  })

  it('refuses a short or missing password, never echoing it (exit 1)', async () => {
    const account = await insertAccount(database.db)
    const name = unique('bob')
    expect(await cli(['users', 'create', account.id, name, '--password-stdin'], pipedStdin('short\n'))).toEqual({ code: 1, stdout: '', stderr: 'tessera: password must be between 8 and 4096 characters\n' })
    expect(await cli(['users', 'create', account.id, name, '--password-stdin'], pipedStdin(''))).toEqual({ code: 1, stdout: '', stderr: 'tessera: no password was given on standard input\n' })
    expect(await findUserByName(database.db, name)).toBeUndefined()
  })

  it('refuses an invalid role, email or name (exit 1)', async () => {
    const account = await insertAccount(database.db)
    expect(await cli(['users', 'create', account.id, unique('bob'), '--role', 'no such role'])).toEqual({
      code: 1, stdout: '', stderr: 'tessera: role must be 1 to 64 letters, digits, \'.\', \'_\', \':\' or \'-\' (got "no such role")\n'
    })
    expect(await cli(['users', 'create', account.id, unique('bob'), '--email', 'not-an-address'])).toEqual({
      code: 1, stdout: '', stderr: 'tessera: email must be an address like name@example.com of at most 254 characters (got "not-an-address")\n'
    })
    expect(await cli(['users', 'create', account.id, ''])).toEqual({ code: 1, stdout: '', stderr: 'tessera: user name must be 1 to 64 characters (got "")\n' })
  })

  it('is a usage error without a name or with a password argument, which it does not echo (exit 2)', async () => {
    expect(await cli(['users', 'create', 'acme'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <name>\nRun 'tessera users create --help' for usage.\n" })
    expect(await cli(['users', 'create', 'acme', 'bob', '--password', 'hunter22'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown option '--password'\nRun 'tessera users create --help' for usage.\n" })
    expect(await cli(['users', 'create', 'acme', 'bob', 'hunter22'])).toEqual({ code: 2, stdout: '', stderr: "tessera: too many arguments: 'users create' takes <account> <name>\nRun 'tessera users create --help' for usage.\n" })
  })
})

describe('tessera users list', () => {
  it("lists an account's users with their roles on every account", async () => {
    const [home, other] = [await insertAccount(database.db), await insertAccount(database.db)]
    const alice = await insertUser(database.db, { accountId: home.id, roles: ['admin', 'member'], email: 'alice@example.com' })
    const bob = await insertUser(database.db, { accountId: home.id, roles: [], enabled: false })
    await assignRole(database.db, bob.user.id, other.id, 'viewer')
    const sorted = [alice, bob].sort((a, b) => (a.user.id < b.user.id ? -1 : 1))

    const json = await cli(['users', 'list', '--account', home.name, '--json'])
    expect(json).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(json.stdout)).toEqual(sorted.map(({ user }) => ({
      id: user.id,
      name: user.name,
      accountId: home.id,
      email: user.email,
      enabled: user.enabled,
      createdAt: user.created_at.toISOString(),
      roles: user === alice.user ? { [home.id]: ['admin', 'member'] } : { [other.id]: ['viewer'] }
    })))

    const text = await cli(['users', 'list', '--account', home.id])
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +NAME +ACCOUNT +EMAIL +ENABLED +ROLES$/)
    expect(lines.slice(1).map((line) => line.split(/ +/))).toEqual(sorted.map(({ user }) => user === alice.user
      ? [user.id, user.name, home.id, 'alice@example.com', 'yes', 'admin,member']
      : [user.id, user.name, home.id, '-', 'no', `viewer@${other.id}`]))
  })

  it('pages with --limit and --after', async () => {
    const account = await insertAccount(database.db)
    const users = []
    for (let index = 0; index < 3; index++) users.push((await insertUser(database.db, { accountId: account.id })).user.id)
    users.sort()
    const first = await cli(['users', 'list', '--account', account.id, '--limit', '2', '--json'])
    expect(jsonLines(first.stdout).map((user) => user.id)).toEqual(users.slice(0, 2))
    expect(first.stderr).toBe(`more users follow: continue with --after ${users[1]}\n`)
    const rest = await cli(['users', 'list', '--account', account.id, '--after', users[1]!, '--json'])
    expect(rest).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(rest.stdout).map((user) => user.id)).toEqual(users.slice(2))
  })

  it('lists users of every account without --account', async () => {
    const { user } = await insertTenantUser(database.db)
    const result = await cli(['users', 'list', '--limit', '1000', '--json'])
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((row) => row.id)).toContain(user.id)
  })

  it('says so when there are no users', async () => {
    const account = await insertAccount(database.db)
    expect(await cli(['users', 'list', '--account', account.id])).toEqual({ code: 0, stdout: 'no users\n', stderr: '' })
  })

  it('fails for an unknown account or a bad limit (exit 1)', async () => {
    const missing = unique('nowhere')
    expect(await cli(['users', 'list', '--account', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
    expect(await cli(['users', 'list', '--limit=-1'])).toEqual({ code: 1, stdout: '', stderr: 'tessera: limit must be an integer between 1 and 1000\n' })
  })
})

describe('tessera users disable / enable', () => {
  it('disables a user named by name and enables them by id', async () => {
    const { user } = await insertTenantUser(database.db)
    expect(await cli(['users', 'disable', user.name])).toEqual({ code: 0, stdout: `disabled user ${user.id} (${user.name})\n`, stderr: '' })
    expect(await findUserById(database.db, user.id)).toMatchObject({ enabled: false })
    const result = await cli(['users', 'enable', user.id, '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ id: user.id, name: user.name, accountId: user.account_id, email: null, enabled: true, createdAt: user.created_at.toISOString() }])
    expect(await findUserById(database.db, user.id)).toMatchObject({ enabled: true })
  })

  it('fails for an unknown user (exit 1) and needs one (exit 2)', async () => {
    const missing = unique('nobody')
    expect(await cli(['users', 'disable', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
    expect(await cli(['users', 'enable', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
    expect(await cli(['users', 'disable'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <user>\nRun 'tessera users disable --help' for usage.\n" })
    expect(await cli(['users', 'enable'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <user>\nRun 'tessera users enable --help' for usage.\n" })
  })
})

describe('tessera users set-password', () => {
  it('sets the password read from stdin', async () => {
    const { user, password: old } = await insertTenantUser(database.db)
    const password = unique('new-secret')
    expect(await cli(['users', 'set-password', user.name], pipedStdin(`${password}\r\nignored second line\n`))).toEqual({ code: 0, stdout: `changed the password of user ${user.id} (${user.name})\n`, stderr: '' })
    const hash = await passwordHash(user.id)
    expect(await verifyPassword(hash, password)).toBe(true)
    expect(await verifyPassword(hash, old)).toBe(false)
  })

  it('prints the user with --json, never the password', async () => {
    const { user } = await insertTenantUser(database.db)
    const password = unique('new-secret')
    const result = await cli(['users', 'set-password', user.id, '--json'], pipedStdin(password))
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ id: user.id, name: user.name, accountId: user.account_id, email: null, enabled: true, createdAt: user.created_at.toISOString() }])
    expect(await verifyPassword(await passwordHash(user.id), password)).toBe(true)
  })

  it('refuses a short password and keeps the old one (exit 1)', async () => {
    const { user, password } = await insertTenantUser(database.db)
    expect(await cli(['users', 'set-password', user.id], pipedStdin('short\n'))).toEqual({ code: 1, stdout: '', stderr: 'tessera: password must be between 8 and 4096 characters\n' })
    expect(await cli(['users', 'set-password', user.id])).toEqual({ code: 1, stdout: '', stderr: 'tessera: no password was given on standard input\n' })
    expect(await verifyPassword(await passwordHash(user.id), password)).toBe(true)
  })

  it('fails for an unknown user (exit 1)', async () => {
    const missing = unique('nobody')
    expect(await cli(['users', 'set-password', missing], pipedStdin('long-enough-password\n'))).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
  })

  it('never takes the password as an argument, nor echoes one given (exit 2)', async () => {
    const { user, password } = await insertTenantUser(database.db)
    const result = await cli(['users', 'set-password', user.name, 'hunter2-hunter2'], pipedStdin('long-enough-password\n'))
    expect(result).toEqual({ code: 2, stdout: '', stderr: "tessera: too many arguments: 'users set-password' takes <user>\nRun 'tessera users set-password --help' for usage.\n" })
    expect(await verifyPassword(await passwordHash(user.id), password)).toBe(true)
    expect(await cli(['users', 'set-password'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <user>\nRun 'tessera users set-password --help' for usage.\n" })
  })
})

describe('tessera users rotate-api-key', () => {
  it('replaces the key and prints the new one once', async () => {
    const { user, apiKey: old } = await insertTenantUser(database.db)
    const result = await cli(['users', 'rotate-api-key', user.name])
    expect(result.code).toBe(0)
    const [, apiKey, accessor] = /api key: ([0-9a-f]{32})\napi key accessor: (uak_[0-9a-f]{32})\n$/.exec(result.stdout) ?? []
    expect(result.stdout).toBe(`rotated the API key of user ${user.id} (${user.name})\napi key: ${apiKey}\napi key accessor: ${accessor}\n`)
    expect(result.stderr).toBe(API_KEY_NOTE)
    expect(apiKey).not.toBe(old)
    expect(await storedKeyHash(user.id)).toEqual(sha256(apiKey!))
  })

  it('prints the user and key with --json', async () => {
    const { user } = await insertTenantUser(database.db)
    const result = await cli(['users', 'rotate-api-key', user.id, '--json'])
    expect(result).toMatchObject({ code: 0, stderr: API_KEY_NOTE })
    const [rotated] = jsonLines(result.stdout)
    expect(rotated).toEqual({ id: user.id, name: user.name, accountId: user.account_id, email: null, enabled: true, createdAt: user.created_at.toISOString(), apiKey: expect.stringMatching(/^[0-9a-f]{32}$/), apiKeyAccessor: expect.stringMatching(/^uak_[0-9a-f]{32}$/) })
    expect(await storedKeyHash(user.id)).toEqual(sha256(rotated.apiKey))
  })

  it('fails for an unknown user (exit 1) and needs one (exit 2)', async () => {
    const missing = unique('nobody')
    expect(await cli(['users', 'rotate-api-key', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
    expect(await cli(['users', 'rotate-api-key'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <user>\nRun 'tessera users rotate-api-key --help' for usage.\n" })
  })
})
