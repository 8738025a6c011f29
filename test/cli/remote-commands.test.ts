import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAccount, insertTenantUser, insertUser, unique } from '../helpers/factories.js'
import { createToken, newCaller } from '../families/astra/helpers.js'
import { jsonLines, pipedStdin, type CliResult } from './run-cli.js'
import { setupRemote, shapeOf, type RemoteSetup } from './remote-cli.js'
import { COMMANDS } from '../../src/cli/index.js'

/**
 * Every command group through a running server's admin API (TESSERA_URL), against the same
 * command on the database: reads print the same, byte for byte; writes the same JSON shapes.
 */

let r: RemoteSetup
beforeAll(async () => { r = await setupRemote() })
afterAll(() => r?.close())

const covered = new Set<string>()

/**
 * Runs `argv` both ways on the same data: the same text, or the same JSON lines (their keys may
 * come in another order: the server writes them in its schema's).
 */
async function same (argv: string[]): Promise<CliResult> {
  covered.add(argv.slice(0, 2).join(' '))
  const local = await r.local(argv)
  const remote = await r.remote(argv)
  if (argv.includes('--json') && local.code === 0) {
    expect({ ...remote, stdout: jsonLines(remote.stdout) }).toEqual({ ...local, stdout: jsonLines(local.stdout) })
  } else {
    expect(remote).toEqual(local)
  }
  return remote
}

/** Runs `make(tag)` locally then remotely, on records of their own; the --json lines must have the same shape. */
async function sameShape (make: (side: 'local' | 'remote') => Promise<string[]>, stdin?: () => string): Promise<{ local: any[], remote: any[] }> {
  const localArgv = await make('local')
  covered.add(localArgv.slice(0, 2).join(' '))
  const local = await r.local([...localArgv, '--json'], pipedStdin(stdin?.()))
  const remote = await r.remote([...(await make('remote')), '--json'], {}, pipedStdin(stdin?.()))
  expect(local).toMatchObject({ code: 0 })
  expect(remote).toMatchObject({ code: 0, stderr: local.stderr })
  expect(jsonLines(remote.stdout).map(shapeOf)).toEqual(jsonLines(local.stdout).map(shapeOf))
  return { local: jsonLines(local.stdout), remote: jsonLines(remote.stdout) }
}

describe('accounts', () => {
  it('create, list, disable and enable', async () => {
    const made = await sameShape(async () => ['accounts', 'create', unique('acct'), '--disabled'])
    expect(made.remote[0]).toMatchObject({ enabled: false })
    await same(['accounts', 'list', '--limit', '2', '--json'])
    await same(['accounts', 'list', '--after', made.local[0].id])
    await sameShape(async () => ['accounts', 'enable', (await insertAccount(r.t.app.db, { enabled: false })).name])
    await sameShape(async () => ['accounts', 'disable', (await insertAccount(r.t.app.db)).id])
  })
})

describe('users and roles', () => {
  it('create (with a password), list, disable, enable, set-password, rotate-api-key, revoke-credentials', async () => {
    const account = await insertAccount(r.t.app.db)
    const made = await sameShape(async () => ['users', 'create', account.name, unique('user'), '--role', 'member', '--email', 'a@example.com', '--password-stdin'], () => 'a long enough password\n')
    expect(made.remote[0]).toMatchObject({ accountId: account.id, roles: ['member'], apiKey: expect.stringMatching(/^[0-9a-f]{32}$/) })
    await insertUser(r.t.app.db, { accountId: (await insertAccount(r.t.app.db)).id, roles: ['viewer'] })
    await same(['users', 'list', '--account', account.name, '--json'])
    await same(['users', 'list', '--limit', '3'])
    const user = async () => (await insertUser(r.t.app.db, { accountId: account.id, roles: ['member'] })).user.name
    await sameShape(async () => ['users', 'disable', await user()])
    await sameShape(async () => ['users', 'enable', await user()])
    await sameShape(async () => ['users', 'set-password', await user()], () => 'another long password\n')
    await sameShape(async () => ['users', 'rotate-api-key', await user()])
    await sameShape(async () => ['users', 'revoke-credentials', await user(), '--dry-run'])
    await sameShape(async () => ['users', 'revoke-credentials', await user(), '--disable-login'])
  })

  it('grant and revoke roles; revoking one not held fails alike', async () => {
    const { account, user } = await insertTenantUser(r.t.app.db)
    await sameShape(async (side) => ['roles', 'grant', user.name, account.id, `role-${side}`])
    await sameShape(async (side) => ['roles', 'revoke', user.name, account.name, `role-${side}`])
    const notHeld = await r.remote(['roles', 'revoke', user.name, account.name, 'never'])
    expect(notHeld).toEqual({ code: 1, stdout: '', stderr: `tessera: user ${user.id} does not hold role never on account ${account.id}\n` })
  })
})

describe('host factories and hosts', () => {
  it('create, list, show, grant, revoke and delete', async () => {
    const { account, user } = await insertTenantUser(r.t.app.db)
    const owner = `${account.name}:user:${user.name}`
    await sameShape(async (side) => ['host-factories', 'create', account.name, `hf-${side}`, '--layer', 'db', '--owner', owner])
    await same(['host-factories', 'list', account.name, '--json'])
    await same(['host-factories', 'list', account.id, '--limit', '1'])
    await same(['host-factories', 'show', account.name, 'hf-local', '--json'])
    await sameShape(async (side) => ['host-factories', 'grant', account.name, `hf-${side}`, owner, 'execute'])
    await sameShape(async (side) => ['host-factories', 'revoke', account.name, `hf-${side}`, owner, 'execute'])
    await sameShape(async (side) => ['host-factories', 'delete', account.name, `hf-${side}`])
    await same(['host-factories', 'show', account.name, 'hf-local'])
  })

  it('hosts revoke-credentials: an unknown host fails alike', async () => {
    const account = await insertAccount(r.t.app.db)
    const result = await same(['hosts', 'revoke-credentials', account.name, 'no-such-host', '--dry-run'])
    expect(result.code).toBe(1)
  })
})

describe('astra tokens', () => {
  it('list on every account, and revoke', async () => {
    const caller = await newCaller(r.t.app)
    const tokens = [await createToken(r.t.app, caller), await createToken(r.t.app, caller)]
    await same(['astra-tokens', 'list', caller.user.user.name, '--json'])
    await same(['astra-tokens', 'list', caller.userId, '--limit', '1'])
    const ids = tokens.map((token) => token.id as string).sort()
    await sameShape(async (side) => ['astra-tokens', 'revoke', caller.userId, side === 'local' ? ids[0]! : ids[1]!])
    await same(['astra-tokens', 'revoke', caller.userId, ids[0]!])
  })
})

describe('audit events, credentials, retention', () => {
  it('audit-events list with filters', async () => {
    const { account } = await insertTenantUser(r.t.app.db)
    await r.remote(['accounts', 'disable', account.id])
    await same(['audit-events', 'list', account.name, '--json'])
    await same(['audit-events', 'list', account.id, '--kind', 'account.changed', '--since', '2020-01-01T00:00:00Z'])
  })

  it('credentials report as JSON, a table and CSV, for an account and a user', async () => {
    const caller = await newCaller(r.t.app)
    await createToken(r.t.app, caller)
    await same(['credentials', 'report', caller.accountId, '--json'])
    await same(['credentials', 'report', caller.accountId, '--user', caller.user.user.name, '--csv'])
    await same(['credentials', 'report', caller.accountId, '--kind', 'astra-token', '--never-used'])
  })

  it('retention purge --dry-run', async () => {
    // The server's settings are the CLI's here (one config): the same cutoffs, to the millisecond but for the clock.
    const result = await sameShape(async () => ['retention', 'purge', '--dry-run'])
    expect(result.remote[0]).toMatchObject({ dryRun: true, purged: expect.any(Object) })
  })
})

describe('export and import', () => {
  it('exports the same lines, and imports (dry run) with the same summary and failures', async () => {
    const local = await r.local(['export'])
    const remote = await r.remote(['export'])
    covered.add('export')
    const body = (text: string) => text.split('\n').slice(1)
    expect(remote.code).toBe(0)
    expect(remote.stderr).toBe(local.stderr)
    expect(body(remote.stdout)).toEqual(body(local.stdout))

    const accountId = randomUUID()
    const lines = [JSON.parse(local.stdout.split('\n')[0]!), { type: 'account', id: accountId, name: unique('acct') }, { type: 'account', id: 'bad id!', name: 'x' }]
    const file = lines.map((line) => JSON.stringify(line)).join('\n')
    covered.add('import')
    const localImport = await r.local(['import', '-', '--dry-run', '--json'], pipedStdin(file))
    const remoteImport = await r.remote(['import', '-', '--dry-run', '--json'], {}, pipedStdin(file))
    expect(localImport.code).toBe(1)
    expect(remoteImport).toEqual(localImport)
  })
})

describe('coverage', () => {
  it('ran every command of COMMANDS but login and logout both ways', () => {
    const all = COMMANDS.map((spec) => `${spec.group} ${spec.name}`.trimEnd()).filter((name) => name !== 'login' && name !== 'logout')
    expect(all.filter((name) => !covered.has(name))).toEqual([])
  })
})
