import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createFreshDatabase, type FreshDatabase } from '../db/fresh-database.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { TEST_SECRET_KEY } from '../helpers/test-app.js'
import { childEnv, ROOT } from '../server/server-process.js'
import { documentationPages, fencedBlocks } from './markdown.js'

const MARKER = '<!-- checked by test/deploy/readme-cli-example.test.ts -->'

/** The operator CLI's example: the one sh block of README.md or docs/ right after the MARKER line. */
function cliExample (): string {
  const [example, ...others] = documentationPages().flatMap((page) => fencedBlocks(page)).filter((block) => block.before === MARKER)
  expect(example?.info).toBe('sh')
  expect(others).toEqual([])
  return example!.body
}

let directory: string
let fresh: FreshDatabase | undefined
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tessera-readme-cli-'))
  if (inject('testDatabase').kind === 'postgres') fresh = await createFreshDatabase()
})
afterAll(async () => {
  await fresh?.drop()
  await rm(directory, { recursive: true, force: true })
})

describe('the operator CLI\'s example in the docs', () => {
  it('has an example that works when pasted into bash, on a new database', async () => {
    // PostgreSQL (with the server's key, as an operator has it) when the tests have it, else the embedded database.
    const database: Record<string, string> = fresh?.url ? { DATABASE_URL: fresh.url, TESSERA_SECRET_KEY: TEST_SECRET_KEY } : { DATA_DIR: await freshDataDir(directory) }
    // --norc: with its input on a socket, as Node gives it, Debian's bash would read /etc/bash.bashrc.
    const { stdout } = await promisify(execFile)('bash', ['--norc', '-euo', 'pipefail', '-c', cliExample()], { cwd: ROOT, env: await childEnv(database) })
    expect(stdout).toMatch(/^created account 100042 \(acme\)$/m)
    expect(stdout).toMatch(/^created user \S+ \(alice\) in account 100042 \(acme\)$/m)
    const rotated = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(rotated).toMatchObject({ name: 'alice', apiKey: expect.stringMatching(/^[0-9a-f]{32}$/) })
  }, 120_000)
})
