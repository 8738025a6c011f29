import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addCredentialUsage } from '../../src/db/repositories/credentials.js'
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

const DAY = 24 * 60 * 60 * 1000
const HEADER = 'kind,accessor,accountId,ownerType,ownerId,createdBy,name,createdAt,expiresAt,endedAt,lastUsedAt,useCount,findings\r\n'

/** An account with a user (and their API key), an agent token the user made, and a host factory token expiring in a day. */
async function accountWithCredentials () {
  const { account, user } = await insertTenantUser(database.db, ['admin'])
  const { db } = database
  const agent = await db.insertInto('agent_tokens').values({
    account_id: account.id, sort_key: randomBytes(8).toString('hex'), secret_hash: randomBytes(32), token_sealed: randomBytes(16), label: '=cmd|calc', created_by: user.id
  }).returning(['accessor', 'created_at']).executeTakeFirstOrThrow()
  await db.insertInto('host_factories').values({ account_id: account.id, id: 'hf-db' }).execute()
  const expiration = new Date(Date.now() + DAY)
  const hf = await db.insertInto('host_factory_tokens').values({
    token_sha256: randomBytes(32), token_sealed: randomBytes(16), account_id: account.id, host_factory_id: 'hf-db', expiration, created_by: user.id
  }).returning(['accessor', 'created_at']).executeTakeFirstOrThrow()
  const key = await db.selectFrom('api_keys').select(['accessor', 'created_at']).where('user_id', '=', user.id).executeTakeFirstOrThrow()
  const lastUsedAt = new Date(Date.now() - 60_000)
  await addCredentialUsage(db, { accessors: [key.accessor], counts: [4], lastUsedAt: [lastUsedAt] })
  return { account, user, agent, hf, key, expiration, lastUsedAt }
}

describe('tessera credentials report', () => {
  it('finds never-used and expiring credentials, as JSON lines', async () => {
    const { account, user, agent, hf, key, expiration, lastUsedAt } = await accountWithCredentials()
    const agentItem = {
      kind: 'agent-token',
      accessor: agent.accessor,
      accountId: account.id,
      owner: { type: 'account', id: account.id },
      createdBy: user.id,
      name: '=cmd|calc',
      createdAt: agent.created_at.toISOString(),
      expiresAt: null,
      endedAt: null,
      lastUsedAt: null,
      useCount: 0,
      // Agents use their tokens at the monitoring endpoint, which Tessera does not serve: no usage finding.
      findings: []
    }
    const hfItem = {
      kind: 'host-factory-token',
      accessor: hf.accessor,
      accountId: account.id,
      owner: { type: 'host-factory', id: 'hf-db' },
      createdBy: user.id,
      name: null,
      createdAt: hf.created_at.toISOString(),
      expiresAt: expiration.toISOString(),
      endedAt: null,
      lastUsedAt: null,
      useCount: 0,
      findings: ['never-used', 'expiring']
    }
    const keyItem = {
      kind: 'api-key',
      accessor: key.accessor,
      accountId: account.id,
      owner: { type: 'user', id: user.id },
      createdBy: user.id,
      name: null,
      createdAt: key.created_at.toISOString(),
      expiresAt: null,
      endedAt: null,
      lastUsedAt: lastUsedAt.toISOString(),
      useCount: 4,
      findings: []
    }
    const byAccessor = (items: Array<{ accessor: string }>) => [...items].sort((a, b) => a.accessor < b.accessor ? -1 : 1)

    const all = await cli(['credentials', 'report', account.name, '--json'])
    expect(all).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(all.stdout)).toEqual(byAccessor([agentItem, hfItem, keyItem]))
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--never-used', '--json'])).stdout)).toEqual([hfItem])
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--expiring-days', '2', '--json'])).stdout)).toEqual([hfItem])
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--unused-days', '1', '--json'])).stdout)).toEqual([])
    // Not used since now: it was, a minute ago.
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--unused-days', '0', '--kind', 'api-key', '--json'])).stdout)).toEqual([{ ...keyItem, findings: ['unused'] }])
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--owner-disabled', '--include-ended', '--json'])).stdout)).toEqual([])
    // One user's: those they hold and those they made.
    const other = await insertUser(database.db, { accountId: account.id })
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--user', user.name, '--json'])).stdout)).toEqual(byAccessor([agentItem, hfItem, keyItem]))
    expect(jsonLines((await cli(['credentials', 'report', account.id, '--user', other.user.id, '--kind', 'agent-token', '--json'])).stdout)).toEqual([])
  })

  it('prints CSV with the formula guard, a table, and a page at a time', async () => {
    const { account, user, agent, hf, key } = await accountWithCredentials()
    const csv = await cli(['credentials', 'report', account.name, '--kind', 'agent-token', '--csv'])
    expect(csv).toEqual({
      code: 0,
      stdout: `${HEADER}agent-token,${agent.accessor},${account.id},account,${account.id},${user.id},'=cmd|calc,${agent.created_at.toISOString()},,,,0,\r\n`,
      stderr: ''
    })
    expect(await cli(['credentials', 'report', account.name, '--kind', 'host-api-key', '--csv'])).toEqual({ code: 0, stdout: HEADER, stderr: '' })

    const table = await cli(['credentials', 'report', account.name, '--kind', 'agent-token'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`${agent.accessor} +agent-token +account:${account.id} +"=cmd\\|calc" +\\S+ +- +- +0 +-\\n`))

    const all = await cli(['credentials', 'report', account.name])
    expect(all.code).toBe(0)
    const sorted = [agent, hf, key].sort((a, b) => a.accessor < b.accessor ? -1 : 1)
    const lines = all.stdout.split('\n')
    expect(lines[0]).toMatch(/^ACCESSOR +KIND +OWNER +NAME +CREATED +EXPIRES +LAST USED +USES +FINDINGS$/)
    expect(lines.slice(1)).toEqual([...sorted.map((credential) => expect.stringMatching(new RegExp(`^${credential.accessor} `))), ''])
    expect(all.stdout).toMatch(new RegExp(`${hf.accessor} +host-factory-token +host-factory:hf-db +- +\\S+ +\\S+Z +- +0 +never-used,expiring\\n`))

    const page = await cli(['credentials', 'report', account.name, '--limit', '1', '--csv'])
    expect(page.stdout.split('\r\n')[1]!.split(',')[1]).toBe(sorted[0]!.accessor)
    expect(page.stderr).toBe(`more credentials follow: continue with --after ${sorted[0]!.accessor}\n`)
    const rest = await cli(['credentials', 'report', account.name, '--after', sorted[0]!.accessor, '--json'])
    expect(jsonLines(rest.stdout).map((item) => item.accessor)).toEqual([sorted[1]!.accessor, sorted[2]!.accessor])
    expect(rest.stderr).toBe('')
    expect(await cli(['credentials', 'report', account.name, '--owner-disabled'])).toEqual({ code: 0, stdout: `no credentials in account ${account.id} (${account.name}) match\n`, stderr: '' })
  })

  it('refuses bad options with a clear message', async () => {
    const { account } = await insertTenantUser(database.db)
    const stranger = await insertTenantUser(database.db)
    const failed = (stderr: string) => ({ code: 1, stdout: '', stderr: `tessera: ${stderr}\n` })
    const cases: Array<[string[], ReturnType<typeof failed>]> = [
      [['--unused-days', '1.5'], failed('--unused-days must be a whole number of days from 0 to 36500')],
      [['--unused-days=-1'], failed('--unused-days must be a whole number of days from 0 to 36500')],
      [['--expiring-days', '36501'], failed('--expiring-days must be a whole number of days from 0 to 36500')],
      [['--expiring-days', '999999'], failed('--expiring-days must be a whole number of days from 0 to 36500')],
      [['--kind', 'password'], failed('--kind must be one of session, api-key, agent-token, astra-token, host-factory-token, host-api-key')],
      [['--limit', '0'], failed('limit must be an integer between 1 and 1000')],
      [['--after', 'a b'], failed('--after must be an accessor (letters, digits, _ and -)')],
      [['--user', 'nobody-at-all'], failed('user nobody-at-all does not exist')],
      [['--user', stranger.user.id], failed(`user ${stranger.user.id} (${stranger.user.name}) is not a user of account ${account.id} (${account.name})`)]
    ]
    for (const [options, expected] of cases) expect(await cli(['credentials', 'report', account.id, ...options]), options.join(' ')).toEqual(expected)
    expect(await cli(['credentials', 'report', unique('no-account')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: account no-account-\w+ does not exist\n$/) })
    expect(await cli(['credentials', 'report', account.id, '--csv', '--json'])).toEqual({
      code: 2, stdout: '', stderr: 'tessera: --csv and --json are two formats: choose one\nRun \'tessera credentials report --help\' for usage.\n'
    })
    const help = await cli(['credentials', 'report', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: tessera credentials report <account> [--user USER] [--kind KIND] [--never-used] [--unused-days N] [--expiring-days N] [--owner-disabled] [--include-ended] [--csv] [--limit N] [--after ACCESSOR] [--json]')
  })
})
