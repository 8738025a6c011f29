import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listRoleNames } from '../../src/db/repositories/role-assignments.js'
import { findSession, issueSession } from '../../src/services/sessions.js'
import { insertAccount, insertTenantUser, unique } from '../helpers/factories.js'
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

describe('tessera roles grant', () => {
  it('grants a role on another account, naming user and account by name; granting it again changes nothing', async () => {
    const { user } = await insertTenantUser(database.db)
    const other = await insertAccount(database.db)
    const expected = { code: 0, stdout: `granted role auditor on account ${other.id} (${other.name}) to user ${user.id} (${user.name})\n`, stderr: '' }
    expect(await cli(['roles', 'grant', user.name, other.name, 'auditor'])).toEqual(expected)
    expect(await cli(['roles', 'grant', user.id, other.id, 'auditor'])).toEqual(expected)
    expect(await listRoleNames(database.db, user.id, other.id)).toEqual(['auditor'])
  })

  it('prints the assignment with --json', async () => {
    const { account, user } = await insertTenantUser(database.db, ['member'])
    const result = await cli(['roles', 'grant', user.id, account.id, 'admin', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ userId: user.id, accountId: account.id, role: 'admin' }])
    expect(await listRoleNames(database.db, user.id, account.id)).toEqual(['admin', 'member'])
  })

  it('fails for an unknown user or account, or an invalid role (exit 1)', async () => {
    const { account, user } = await insertTenantUser(database.db)
    const missing = unique('missing')
    expect(await cli(['roles', 'grant', missing, account.id, 'admin'])).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
    expect(await cli(['roles', 'grant', user.id, missing, 'admin'])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
    expect(await cli(['roles', 'grant', user.id, account.id, 'super user'])).toEqual({
      code: 1, stdout: '', stderr: 'tessera: role must be 1 to 64 letters, digits, \'.\', \'_\', \':\' or \'-\' (got "super user")\n'
    })
    expect(await listRoleNames(database.db, user.id, account.id)).toEqual(['member'])
  })

  it('is a usage error without a role (exit 2)', async () => {
    expect(await cli(['roles', 'grant', 'bob', 'acme'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <role>\nRun 'tessera roles grant --help' for usage.\n" })
  })
})

describe('tessera roles revoke', () => {
  it("revokes the role and ends the user's sessions on that account that carry it", async () => {
    const { account, user } = await insertTenantUser(database.db, ['admin', 'member'])
    const session = await issueSession(database.db, { user, account, roles: ['admin', 'member'], method: 'password', ttlSeconds: 3600 }, new Date())
    expect(await findSession(database.db, session.token, new Date())).toBeDefined()
    expect(await cli(['roles', 'revoke', user.name, account.name, 'admin'])).toEqual({
      code: 0, stdout: `revoked role admin on account ${account.id} (${account.name}) from user ${user.id} (${user.name})\n`, stderr: ''
    })
    expect(await listRoleNames(database.db, user.id, account.id)).toEqual(['member'])
    expect(await findSession(database.db, session.token, new Date())).toBeUndefined()
  })

  it('prints the assignment with --json', async () => {
    const { account, user } = await insertTenantUser(database.db, ['member'])
    const result = await cli(['roles', 'revoke', user.id, account.id, 'member', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ userId: user.id, accountId: account.id, role: 'member' }])
    expect(await listRoleNames(database.db, user.id, account.id)).toEqual([])
  })

  it('fails for a role the user does not hold, an unknown user or account (exit 1)', async () => {
    const { account, user } = await insertTenantUser(database.db, ['member'])
    const missing = unique('missing')
    expect(await cli(['roles', 'revoke', user.id, account.id, 'admin'])).toEqual({
      code: 1, stdout: '', stderr: `tessera: user ${user.id} (${user.name}) does not hold role admin on account ${account.id} (${account.name})\n`
    })
    expect(await cli(['roles', 'revoke', missing, account.id, 'member'])).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${missing} does not exist\n` })
    expect(await cli(['roles', 'revoke', user.id, missing, 'member'])).toEqual({ code: 1, stdout: '', stderr: `tessera: account ${missing} does not exist\n` })
    expect(await listRoleNames(database.db, user.id, account.id)).toEqual(['member'])
  })

  it('is a usage error with a missing or extra argument (exit 2)', async () => {
    expect(await cli(['roles', 'revoke', 'bob'])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <account>\nRun 'tessera roles revoke --help' for usage.\n" })
    expect(await cli(['roles', 'revoke', 'bob', 'acme', 'admin', 'member'])).toEqual({
      code: 2, stdout: '', stderr: "tessera: too many arguments: 'roles revoke' takes <user> <account> <role>\nRun 'tessera roles revoke --help' for usage.\n"
    })
  })
})
