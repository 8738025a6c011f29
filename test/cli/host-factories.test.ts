import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser, insertUser, unique } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { cliOn, jsonLines } from './run-cli.js'

let database: TestDatabase
let cli: ReturnType<typeof cliOn>

beforeAll(async () => {
  database = await createTestDatabase()
  cli = cliOn(database.db, testConfig())
})
afterAll(() => database.drop())

describe('tessera host-factories', () => {
  it('creates one with layers and an owner, shows it, lists it, and deletes it', async () => {
    const { account, user } = await insertTenantUser(database.db)
    const created = await cli(['host-factories', 'create', account.name, 'hf-db', '--layer', 'db', '--layer', 'web', '--owner', `${account.name}:user:${user.name}`])
    expect(created).toEqual({
      code: 0,
      stdout: `created in account ${account.id} (${account.name}):\nhost factory ${account.name}:host_factory:hf-db\n  owner        ${account.name}:user:${user.name}\n  layers       ${account.name}:layer:db, ${account.name}:layer:web\n`,
      stderr: ''
    })
    const shown = await cli(['host-factories', 'show', account.id, 'hf-db', '--json'])
    expect(jsonLines(shown.stdout)).toEqual([{
      id: `${account.name}:host_factory:hf-db`,
      owner: `${account.name}:user:${user.name}`,
      layers: [`${account.name}:layer:db`, `${account.name}:layer:web`],
      permissions: [],
      createdAt: expect.any(String)
    }])
    await cli(['host-factories', 'create', account.name, 'hf-app'])
    const listed = await cli(['host-factories', 'list', account.name, '--limit', '1'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(`${account.name}:host_factory:hf-app`)
    expect(listed.stdout).not.toContain('hf-db')
    expect(listed.stderr).toBe('more host factories follow: continue with --after hf-app\n')
    expect(await cli(['host-factories', 'delete', account.name, 'hf-db'])).toEqual({ code: 0, stdout: `deleted host factory hf-db of account ${account.id} (${account.name})\n`, stderr: '' })
    expect(await cli(['host-factories', 'show', account.name, 'hf-db'])).toEqual({ code: 1, stdout: '', stderr: 'tessera: host factory hf-db does not exist\n' })
  })

  it('grants and revokes privileges', async () => {
    const { account } = await insertTenantUser(database.db)
    const carol = await insertUser(database.db, { accountId: account.id })
    const role = `${account.name}:user:${carol.user.name}`
    await cli(['host-factories', 'create', account.name, 'hf'])
    expect(await cli(['host-factories', 'grant', account.name, 'hf', role, 'execute'])).toEqual({
      code: 0, stdout: `granted execute on host factory hf of account ${account.id} (${account.name}) to ${role}\n`, stderr: ''
    })
    expect(jsonLines((await cli(['host-factories', 'show', account.name, 'hf', '--json'])).stdout)[0].permissions).toEqual([{ privilege: 'execute', role }])
    expect((await cli(['host-factories', 'revoke', account.name, 'hf', role, 'execute'])).code).toBe(0)
    expect(jsonLines((await cli(['host-factories', 'show', account.name, 'hf', '--json'])).stdout)[0].permissions).toEqual([])
  })

  it('fails for bad input (exit 1) and a missing argument (exit 2)', async () => {
    const { account } = await insertTenantUser(database.db)
    await cli(['host-factories', 'create', account.name, 'dup'])
    expect(await cli(['host-factories', 'create', account.name, 'dup'])).toEqual({ code: 1, stdout: '', stderr: 'tessera: a host factory with id dup already exists\n' })
    expect(await cli(['host-factories', 'create', account.name, 'bad id'])).toEqual({
      code: 1, stdout: '', stderr: 'tessera: id must be 1 to 128 letters, digits, \'.\', \'_\', \'@\', \'/\' or \'-\' (got "bad id")\n'
    })
    expect(await cli(['host-factories', 'grant', account.name, 'dup', `${account.name}:user:nobody`, 'own'])).toEqual({
      code: 1, stdout: '', stderr: 'tessera: privilege must be read, execute or update (got "own")\n'
    })
    const missing = unique('missing')
    expect(await cli(['host-factories', 'list', missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
    expect((await cli(['host-factories', 'grant', account.name, 'dup'])).code).toBe(2)
  })
})
