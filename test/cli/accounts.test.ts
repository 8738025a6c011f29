import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findAccountById } from '../../src/db/repositories/accounts.js'
import { insertAccount, unique } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { cliOn, jsonLines } from './run-cli.js'

const ISO_DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

let database: TestDatabase
let cli: ReturnType<typeof cliOn>
const adminAccount = unique('admins')

beforeAll(async () => {
  database = await createTestDatabase()
  cli = cliOn(database.db, testConfig({ TESSERA_ADMIN_ACCOUNT: adminAccount }))
})
afterAll(() => database.drop())

describe('tessera accounts create', () => {
  it('creates an enabled account with a generated id', async () => {
    const name = unique('acme')
    const result = await cli(['accounts', 'create', name])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const id = /^created account ([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}) \(([^)]+)\)\n$/.exec(result.stdout)?.[1]
    expect(result.stdout).toBe(`created account ${id} (${name})\n`)
    expect(await findAccountById(database.db, id!)).toMatchObject({ name, enabled: true })
  })

  it('takes --id and --disabled, and prints JSON with --json', async () => {
    const [id, name] = [unique('id'), unique('acme')]
    const result = await cli(['accounts', 'create', name, '--id', id, '--disabled', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ id, name, enabled: false, createdAt: ISO_DATE }])
    expect(await findAccountById(database.db, id)).toMatchObject({ name, enabled: false })
  })

  it('says "disabled" in text output', async () => {
    const [id, name] = [unique('id'), unique('acme')]
    expect(await cli(['accounts', 'create', '--disabled', name, '--id', id])).toEqual({ code: 0, stdout: `created account ${id} (${name}), disabled\n`, stderr: '' })
  })

  it('refuses a name already taken (exit 1)', async () => {
    const account = await insertAccount(database.db)
    expect(await cli(['accounts', 'create', account.name])).toEqual({ code: 1, stdout: '', stderr: `tessera: an account with name ${account.name} already exists\n` })
  })

  it('refuses an id already taken (exit 1)', async () => {
    const account = await insertAccount(database.db)
    expect(await cli(['accounts', 'create', unique('acme'), '--id', account.id])).toEqual({ code: 1, stdout: '', stderr: `tessera: an account with id ${account.id} already exists\n` })
  })

  it('refuses an id the schema does not allow (exit 1)', async () => {
    const name = unique('acme')
    expect(await cli(['accounts', 'create', name, '--id', 'no spaces'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tessera: account id must be 1 to 64 letters, digits, \'.\', \'_\', \':\' or \'-\' (got "no spaces")\n'
    })
    expect(await cli(['accounts', 'list', '--json', '--limit', '1000']).then((result) => jsonLines(result.stdout).some((account) => account.name === name))).toBe(false)
  })

  it('refuses a name longer than 64 characters (exit 1)', async () => {
    const name = 'n'.repeat(65)
    expect(await cli(['accounts', 'create', name])).toEqual({ code: 1, stdout: '', stderr: `tessera: account name must be 1 to 64 characters (got "${name}")\n` })
  })

  it('is a usage error without a name, with an unknown option, or with a missing option value (exit 2)', async () => {
    expect(await cli(['accounts', 'create'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <name>\nRun 'tessera accounts create --help' for usage.\n" })
    expect(await cli(['accounts', 'create', unique('acme'), '--colour', 'red'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown option '--colour'\nRun 'tessera accounts create --help' for usage.\n" })
    expect(await cli(['accounts', 'create', unique('acme'), '--id'])).toEqual({ code: 2, stdout: '', stderr: "tessera: option '--id <value>' argument missing\nRun 'tessera accounts create --help' for usage.\n" })
    expect(await cli(['accounts', 'create', 'one', 'two'])).toEqual({ code: 2, stdout: '', stderr: "tessera: too many arguments: 'accounts create' takes <name>\nRun 'tessera accounts create --help' for usage.\n" })
  })
})

describe('tessera accounts list', () => {
  // Ids sharing a random prefix sort together, whatever other tests created.
  const prefix = `a${randomBytes(6).toString('hex')}`
  const ids = [`${prefix}.1`, `${prefix}.2`, `${prefix}.3`]

  beforeAll(async () => {
    for (const id of ids) await insertAccount(database.db, { id })
  })

  it('pages by id with --limit and --after, naming the next --after on stderr', async () => {
    const first = await cli(['accounts', 'list', '--after', `${prefix}.0`, '--limit', '2', '--json'])
    expect(first.code).toBe(0)
    expect(jsonLines(first.stdout).map((account) => account.id)).toEqual([ids[0], ids[1]])
    expect(jsonLines(first.stdout)[0]).toEqual({ id: ids[0], name: expect.any(String), enabled: true, createdAt: ISO_DATE })
    expect(first.stderr).toBe(`more accounts follow: continue with --after ${ids[1]}\n`)

    const second = await cli(['accounts', 'list', '--after', ids[1]!, '--limit', '1', '--json'])
    expect(jsonLines(second.stdout).map((account) => account.id)).toEqual([ids[2]])
  })

  it('prints a table', async () => {
    const account = await findAccountById(database.db, ids[0]!)
    const result = await cli(['accounts', 'list', '--after', `${prefix}.0`, '--limit', '1'])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +NAME +ENABLED +CREATED$/)
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${ids[0]!.replace('.', '\\.')} +${account!.name} +yes +${account!.created_at.toISOString()}$`))])
  })

  it('says so when the page is empty', async () => {
    expect(await cli(['accounts', 'list', '--after', 'zzzzzzzzzzzzzzzz'])).toEqual({ code: 0, stdout: 'no accounts\n', stderr: '' })
    expect(await cli(['accounts', 'list', '--after', 'zzzzzzzzzzzzzzzz', '--json'])).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('refuses a limit out of range (exit 1)', async () => {
    for (const limit of ['0', '1001', 'ten']) {
      expect(await cli(['accounts', 'list', '--limit', limit])).toEqual({ code: 1, stdout: '', stderr: 'tessera: limit must be an integer between 1 and 1000\n' })
    }
  })

  it('takes no arguments (exit 2)', async () => {
    expect(await cli(['accounts', 'list', 'everything'])).toEqual({ code: 2, stdout: '', stderr: "tessera: too many arguments: 'accounts list' takes none\nRun 'tessera accounts list --help' for usage.\n" })
  })
})

describe('tessera accounts disable / enable', () => {
  it('disables an account named by name and enables it by id', async () => {
    const account = await insertAccount(database.db)
    expect(await cli(['accounts', 'disable', account.name])).toEqual({ code: 0, stdout: `disabled account ${account.id} (${account.name})\n`, stderr: '' })
    expect(await findAccountById(database.db, account.id)).toMatchObject({ enabled: false })
    expect(await cli(['accounts', 'enable', account.id])).toEqual({ code: 0, stdout: `enabled account ${account.id} (${account.name})\n`, stderr: '' })
    expect(await findAccountById(database.db, account.id)).toMatchObject({ enabled: true })
  })

  it('prints the account with --json', async () => {
    const account = await insertAccount(database.db)
    const result = await cli(['accounts', 'disable', account.id, '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ id: account.id, name: account.name, enabled: false, createdAt: account.created_at.toISOString() }])
  })

  it('fails for an unknown account (exit 1)', async () => {
    const missing = unique('missing')
    expect(await cli(['accounts', 'disable', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
    expect(await cli(['accounts', 'enable', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
  })

  it("refuses to disable the administrators' account (exit 1)", async () => {
    await insertAccount(database.db, { id: adminAccount })
    expect(await cli(['accounts', 'disable', adminAccount])).toEqual({
      code: 1,
      stdout: '',
      stderr: `tessera: account ${adminAccount} is the administrators' account and cannot be disabled\n`
    })
    expect(await findAccountById(database.db, adminAccount)).toMatchObject({ enabled: true })
  })

  it('is a usage error without an account (exit 2)', async () => {
    expect(await cli(['accounts', 'disable'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <account>\nRun 'tessera accounts disable --help' for usage.\n" })
    expect(await cli(['accounts', 'enable'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <account>\nRun 'tessera accounts enable --help' for usage.\n" })
  })
})
