import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PasswordHasher } from '../../src/core/credentials.js'
import { sha256 } from '../../src/core/secrets.js'
import { createDb, type Database } from '../../src/db/database.js'
import { findAccountById } from '../../src/db/repositories/accounts.js'
import { findLoginCandidate } from '../../src/db/repositories/users.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { unique } from '../helpers/factories.js'
import { TEST_SECRET_KEY } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { entryArgs } from '../server/server-process.js'
import type { CliResult } from './run-cli.js'

/** Any hasher verifies: a hash records its own cost. */
const verifyPassword = (hash: string | null | undefined, password: string) => new PasswordHasher().verify(hash, password)

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Runs the CLI (`node dist/cli.js …`) as an operator would, with only the given environment. */
function tessera (args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entryArgs('cli'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(input)
  })
}

describe('the tessera process', () => {
  let database: TestDatabase
  let dataDir: string
  /** The environment naming this file's database, as an operator's shell would. */
  let env: Record<string, string>

  beforeAll(async () => {
    database = await createTestDatabase()
    dataDir = await freshDataDir(await mkdtemp(join(tmpdir(), 'tessera-cli-')))
    // PGlite cannot be shared between processes: the child gets an embedded database of its own.
    env = database.kind === 'postgres' ? { DATABASE_URL: database.url!, TESSERA_SECRET_KEY: TEST_SECRET_KEY } : { DATA_DIR: dataDir }
  })
  afterAll(async () => {
    await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  })

  /** Reads what the children wrote, once they have exited. */
  async function inspect<T> (work: (db: Database) => Promise<T>): Promise<T> {
    if (database.kind === 'postgres') return work(database.db)
    const { db } = createDb({ dataDir })
    try {
      return await work(db)
    } finally {
      await db.destroy()
    }
  }

  it('wires argv, stdin, stdout, stderr and exit codes to the commands', async () => {
    const [accountId, accountName, userName, password, newPassword] = [unique('acct'), unique('acme'), unique('bob'), unique('first-pw'), unique('second-pw')]

    const account = await tessera(['accounts', 'create', accountName, '--id', accountId, '--json'], env)
    expect(account.code).toBe(0)
    expect(JSON.parse(account.stdout)).toMatchObject({ id: accountId, name: accountName, enabled: true })
    // The embedded database is created and migrated by the first command; the server's is already migrated.
    expect(account.stderr).toMatch(database.kind === 'postgres' ? /^$/ : /^tessera: applied migrations 0001_identity, .* to pglite \(.*\)\n$/)

    const user = await tessera(['users', 'create', accountName, userName, '--role', 'admin', '--password-stdin', '--json'], env, `${password}\n`)
    expect(user).toMatchObject({ code: 0, stderr: "The API key is printed only this once: it is stored as a hash, and sealed under the server key for Conjur's login.\n" })
    const created = JSON.parse(user.stdout)
    expect(created).toMatchObject({ name: userName, accountId, roles: ['admin'], apiKey: expect.stringMatching(/^[0-9a-f]{32}$/) })

    expect(await tessera(['users', 'set-password', userName], env, newPassword)).toEqual({ code: 0, stdout: `changed the password of user ${created.id} (${userName})\n`, stderr: '' })
    expect(await tessera(['accounts', 'enable', 'no-such-account'], env)).toEqual({ code: 1, stdout: '', stderr: 'tessera: account no-such-account does not exist\n' })

    await inspect(async (db) => {
      expect(await findAccountById(db, accountId)).toMatchObject({ name: accountName, enabled: true })
      const candidate = await findLoginCandidate(db, { name: userName })
      expect(await verifyPassword(candidate!.password_hash, newPassword)).toBe(true)
      expect(Buffer.from(candidate!.key_hash!)).toEqual(sha256(created.apiKey))
    })
  }, 300_000)

  it('answers help and usage errors without a database', async () => {
    const [help, usage] = await Promise.all([
      tessera(['--help'], {}),
      tessera(['accounts', 'frobnicate'], {})
    ])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toMatch(/^Usage: tessera <command> \[options\]\n/)
    expect(usage).toEqual({ code: 2, stdout: '', stderr: "tessera: unknown command 'accounts frobnicate'\nRun 'tessera accounts --help' for usage.\n" })
  }, 60_000)

  it('exits 3 on a configuration error', async () => {
    const [badLevel, badUrl] = await Promise.all([
      tessera(['accounts', 'list'], { ...env, LOG_LEVEL: 'loud' }),
      tessera(['accounts', 'list'], { DATABASE_URL: 'mysql://root@127.0.0.1/tessera' })
    ])
    expect(badLevel.code).toBe(3)
    expect(badLevel.stderr).toMatch(/^tessera: configuration error: LOG_LEVEL .*\(got "loud"\)\n$/)
    // Only commands that issue API keys need TESSERA_SECRET_KEY; the URL's password is never echoed.
    expect(badUrl).toEqual({ code: 3, stdout: '', stderr: 'tessera: configuration error: DATABASE_URL must match pattern "^postgres(ql)?://"\n' })
  }, 60_000)

  it('exits 3 when the database is unreachable', async () => {
    const result = await tessera(['accounts', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/tessera', TESSERA_SECRET_KEY: TEST_SECRET_KEY })
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tessera: database unavailable: .*ECONNREFUSED/)
  }, 60_000)
})
