import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createFreshDatabase, type FreshDatabase } from '../db/fresh-database.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { TEST_SECRET_KEY } from '../helpers/test-app.js'
import { childEnv, freePort, ROOT, spawnServer } from '../server/server-process.js'

/** docs/cli.md: every ```sh block is run here (`<!-- checked by test/deploy/docs-cli-examples.test.ts -->` right before it), pasted into bash, or marked `<!-- not run -->`. */

const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8')
const blocks = [...doc.matchAll(/(^.*\n)?^```sh\n([\s\S]*?)^```$/gm)].map((match) => ({ notRun: match[1]?.trim() === '<!-- not run -->', text: match[2]! }))
const runBlocks = blocks.filter((block) => !block.notRun).map((block) => block.text)
const LOCAL = runBlocks.find((block) => block.includes('tessera users create'))!
const REMOTE = runBlocks.find((block) => block.includes('tessera login'))!
const DOC_URL = 'http://127.0.0.1:8080'

// --norc: with its input on a socket, as Node gives it, Debian's bash would read /etc/bash.bashrc.
const bash = (script: string, env: Record<string, string>) => promisify(execFile)('bash', ['--norc', '-euo', 'pipefail', '-c', script], { cwd: ROOT, env })

let directory: string
let fresh: FreshDatabase | undefined
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tessera-docs-cli-'))
  if (inject('testDatabase').kind === 'postgres') fresh = await createFreshDatabase()
})
afterAll(async () => {
  await fresh?.drop()
  await rm(directory, { recursive: true, force: true })
})

describe('docs/cli.md', () => {
  it('runs every sh block it does not mark as not run: the local example and the remote one', () => {
    expect(runBlocks).toEqual([REMOTE, LOCAL])
  })

  it('has a local example that works when pasted into bash, on a new database', async () => {
    // PostgreSQL (with the server's key, as an operator has it) when the tests have it, else the embedded database.
    const database: Record<string, string> = fresh?.url ? { DATABASE_URL: fresh.url, TESSERA_SECRET_KEY: TEST_SECRET_KEY } : { DATA_DIR: await freshDataDir(directory) }
    const { stdout } = await bash(LOCAL, await childEnv(database))
    expect(stdout).toMatch(/^created account 100042 \(acme\)$/m)
    expect(stdout).toMatch(/^created user \S+ \(alice\) in account 100042 \(acme\)$/m)
    const rotated = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(rotated).toMatchObject({ name: 'alice', apiKey: expect.stringMatching(/^[0-9a-f]{32}$/) })
  }, 120_000)

  it('has a remote example that works beside a running server on the embedded database (its URL put in)', async () => {
    expect(REMOTE).toContain(DOC_URL)
    const port = await freePort()
    const password = 'docs admin password 0123'
    const server = await spawnServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: await freshDataDir(directory), TESSERA_ADMIN_PASSWORD: password })
    try {
      await server.waitForOutput('Server listening', 90_000)
      const env = await childEnv({ ADMIN_PASSWORD: password, XDG_CONFIG_HOME: join(directory, 'config') })
      const { stdout } = await bash(REMOTE.replaceAll(DOC_URL, `http://127.0.0.1:${port}`), env)
      const lines = stdout.trim().split('\n')
      expect(lines[0]).toMatch(new RegExp(`^logged in to http://127\\.0\\.0\\.1:${port} as admin on account admin \\(admin\\); the session expires at \\S+$`))
      expect(JSON.parse(lines[1]!)).toEqual({ id: 'admin', name: 'admin', enabled: true, createdAt: expect.any(String) })
      expect(lines.slice(2)).toEqual([`logged out of http://127.0.0.1:${port}`])
    } finally {
      server.signal('SIGTERM')
    }
    expect((await server.exited).code).toBe(0)
  }, 180_000)
})
