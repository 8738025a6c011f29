import { afterAll, describe, expect, it } from 'vitest'
import { COMMANDS, describeFailure } from '../../src/cli/index.js'
import { ConfigError } from '../../src/config.js'
import { Conflict } from '../../src/core/errors.js'
import { MigrationFailed } from '../../src/db/migrate.js'
import { createDb, type Database } from '../../src/db/database.js'
import { createFreshDatabase } from '../db/fresh-database.js'
import { testConfig } from '../helpers/test-app.js'
import { cliOn } from './run-cli.js'

/** Help and usage errors must answer without a database. */
const noDatabase = new Proxy({}, { get () { throw new Error('the database was touched') } }) as Database
const cli = cliOn(noDatabase, testConfig())

describe('tessera help', () => {
  it('lists every command for help, --help and -h', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const result = await cli(argv)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout).toMatch(/^Usage: tessera <command> \[options\]\n/)
      for (const spec of COMMANDS) expect(result.stdout).toContain(`  ${spec.group} ${spec.name}`)
      expect(result.stdout).toContain('Exit codes: 0 done, 1 the operation failed (not found, conflict, invalid input, forbidden),\n' +
        '2 usage error, 3 configuration, database or server error (unreachable, 5xx),\n' +
        '4 not logged in, or the server refused the session token (run tessera login).\n')
    }
  })

  it("lists a group's commands", async () => {
    for (const argv of [['accounts', '--help'], ['help', 'accounts']]) {
      const result = await cli(argv)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout).toMatch(/^Usage: tessera accounts <command> \[options\]\n\nCommands:\n {2}accounts create <name> +Create an account \(a tenant\)\.\n/)
      expect(result.stdout).not.toContain('users create')
    }
  })

  it("shows a command's usage, arguments and options, even with arguments missing", async () => {
    for (const argv of [['users', 'create', '--help'], ['help', 'users', 'create'], ['users', 'create', 'acme', '-h', '--bogus']]) {
      const result = await cli(argv)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout).toMatch(/^Usage: tessera users create <account> <name> \[--email E\] \[--role R\]\.\.\. \[--password-stdin\] \[--disabled\] \[--json\]\n\nCreate a user/)
      expect(result.stdout).toMatch(/\n {2}<account> +the user's home account, by id or by name\n/)
      expect(result.stdout).toMatch(/\n {2}--password-stdin +read a password from standard input/)
      expect(result.stdout).toMatch(/\n {2}-h, --help +show this help\n/)
    }
  })

  it('has help for every command', async () => {
    for (const spec of COMMANDS) {
      // A command of one word (export, import) has an empty name.
      const words = [spec.group, spec.name].filter((word) => word !== '')
      const result = await cli([...words, '--help'])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout.startsWith(`Usage: tessera ${words.join(' ')}${spec.arguments.map((argument) => ` <${argument.name}>`).join('')}`)).toBe(true)
      expect(result.stdout).toContain(`\n\n${spec.summary}\n`)
    }
  })

  it('treats --help after -- as an argument', async () => {
    expect(await cli(['accounts', 'list', '--', '--help'])).toEqual({
      code: 2, stdout: '', stderr: "tessera: too many arguments: 'accounts list' takes none\nRun 'tessera accounts list --help' for usage.\n"
    })
  })
})

describe('usage errors (exit 2)', () => {
  it('shows the help on stderr when no command is given', async () => {
    const result = await cli([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tessera: missing command\n\nUsage: tessera <command> \[options\]\n/)
  })

  it('names an unknown command or group, and the help to read', async () => {
    expect(await cli(['frobnicate'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown command 'frobnicate'\nRun 'tessera --help' for usage.\n" })
    expect(await cli(['accounts', 'frobnicate'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown command 'accounts frobnicate'\nRun 'tessera accounts --help' for usage.\n" })
    expect(await cli(['accounts'])).toEqual({ code: 2, stdout: '', stderr: "tessera: 'accounts' needs a command: create, list, disable, enable\nRun 'tessera accounts --help' for usage.\n" })
    expect(await cli(['help', 'frobnicate'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown command 'frobnicate'\nRun 'tessera --help' for usage.\n" })
    expect(await cli(['help', 'users', 'frobnicate'])).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown command 'users frobnicate'\nRun 'tessera users --help' for usage.\n" })
  })

  it('refuses a value for a flag', async () => {
    expect(await cli(['accounts', 'create', 'acme', '--disabled=yes'])).toEqual({
      code: 2, stdout: '', stderr: "tessera: option '--disabled' does not take an argument\nRun 'tessera accounts create --help' for usage.\n"
    })
  })
})

describe('database failures (exit 3)', () => {
  const handles: { drop: () => Promise<void> }[] = []
  afterAll(() => Promise.all(handles.map((handle) => handle.drop())))

  it('reports an unreachable database', async () => {
    const { db } = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/tessera' })
    handles.push({ drop: () => db.destroy() })
    const result = await cliOn(db, testConfig())(['accounts', 'list'])
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tessera: database unavailable: .*ECONNREFUSED.*\n$/)
  })

  it('reports a database error that is not about the input', async () => {
    // A database without Tessera's tables: on the test server when there is one (a new PGlite takes seconds to start).
    const fresh = await createFreshDatabase()
    handles.push(fresh)
    expect(await cliOn(fresh.db, testConfig())(['accounts', 'list'])).toEqual({ code: 3, stdout: '', stderr: 'tessera: database error: relation "accounts" does not exist\n' })
  })
})

describe('describeFailure', () => {
  const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' })

  it('maps each kind of error to its exit code and message', () => {
    expect(describeFailure(new Conflict('an account with name acme already exists'))).toEqual({ exitCode: 1, message: 'an account with name acme already exists' })
    expect(describeFailure(Object.assign(new Error('new row for relation "accounts" violates check constraint "accounts_id_check"'), { code: '23514' })))
      .toEqual({ exitCode: 1, message: 'invalid input: new row for relation "accounts" violates check constraint "accounts_id_check"' })
    expect(describeFailure(new ConfigError('PORT', 'must be <= 65535'))).toEqual({ exitCode: 3, message: 'configuration error: PORT must be <= 65535' })
    expect(describeFailure(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')], '')))
      .toEqual({ exitCode: 3, message: 'database unavailable: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432' })
    expect(describeFailure(new MigrationFailed(undefined, refused('127.0.0.1:1')))).toEqual({ exitCode: 3, message: 'database unavailable: connect ECONNREFUSED 127.0.0.1:1' })
    expect(describeFailure(new MigrationFailed('0002_auth_sessions', new Error('syntax error')))).toEqual({ exitCode: 3, message: 'database error: migration 0002_auth_sessions failed: syntax error' })
    expect(describeFailure(Object.assign(new Error('permission denied for table accounts'), { code: '42501' }))).toEqual({ exitCode: 3, message: 'database error: permission denied for table accounts' })
    expect(describeFailure(new TypeError('x is not a function'))).toEqual({ exitCode: 1, message: 'unexpected error: x is not a function' })
  })
})
