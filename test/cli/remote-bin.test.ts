import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { freshDataDir } from '../helpers/embedded-data.js'
import { childEnv, entryArgs, freePort, ROOT, spawnServer } from '../server/server-process.js'

/**
 * The real bin beside a running server on the embedded database, which holds DATA_DIR: the CLI
 * goes through the server's admin API (TESSERA_URL), logged in with `tessera login`.
 */

const run = promisify(execFile)
let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-remote-bin-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

it('node dist/cli.js logs in and lists accounts as JSON through a running embedded server', async () => {
  const port = await freePort()
  const password = 'first admin password 0123'
  const server = await spawnServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: await freshDataDir(directory), TESSERA_ADMIN_PASSWORD: password })
  try {
    await server.waitForOutput('Server listening', 90_000)
    const env = await childEnv({ TESSERA_URL: `http://127.0.0.1:${port}`, XDG_CONFIG_HOME: join(directory, 'config') })
    const cli = (args: string[], input?: string) => {
      const child = run(process.execPath, [...entryArgs('cli'), ...args], { cwd: ROOT, env })
      child.child.stdin!.end(input ?? '')
      return child
    }
    const login = await cli(['login', '--user', 'admin', '--account', 'admin', '--password-stdin'], `${password}\n`)
    expect(login.stdout).toMatch(/^logged in to http:\/\/127\.0\.0\.1:\d+ as admin on account admin \(admin\); the session expires at \S+\n$/)
    const listed = await cli(['--json', 'accounts', 'list'])
    expect(listed.stderr).toBe('')
    expect(listed.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ id: 'admin', name: 'admin', enabled: true, createdAt: expect.any(String) }])
  } finally {
    server.signal('SIGTERM')
  }
  expect((await server.exited).code).toBe(0)
}, 120_000)
