import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDataDir } from '../helpers/embedded-data.js'
import { freePort, spawnServer, type ServerProcess } from './server-process.js'

// Raised on a slow machine with TESSERA_TEST_START_MS; a fresh embedded database migrates first.
const START_MS = Number(process.env.TESSERA_TEST_START_MS ?? 60_000)
// The unprivileged user a root test runner starts the server as: root writes anywhere.
const NOBODY = 65534

let directory: string
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tessera-startup-'))
  // Searchable by the unprivileged user, who must reach the directories made below.
  await chmod(directory, 0o755)
})
afterAll(() => rm(directory, { recursive: true, force: true }))

/** The process ended with exit code 1 and wrote one line on stderr, which is returned. */
async function failedWithOneLine (server: ServerProcess): Promise<string> {
  expect(await server.exited).toEqual({ code: 1, signal: null })
  const lines = server.stderr().split('\n').filter((line) => line.trim() !== '')
  expect(lines, server.stderr()).toHaveLength(1)
  return lines[0]!
}

function listenOn (port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

describe('a newcomer\'s first start', () => {
  it('on a port in use fails before printing a password, and the next start on a free port prints it', async () => {
    const dataDir = await freshDataDir(directory)
    const taken = await freePort()
    const squatter = await listenOn(taken)
    try {
      const first = await spawnServer({ PORT: String(taken), HOST: '127.0.0.1', DATA_DIR: dataDir })
      expect(await failedWithOneLine(first)).toBe(`tessera: PORT ${taken} is already in use on 127.0.0.1: stop what listens there, or set PORT to another port`)
      expect(first.stdout()).not.toMatch(/password/i)
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }

    // No administrator was made by the failed start: this one makes it, once it listens.
    const port = await freePort()
    const second = await spawnServer({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir })
    try {
      await second.waitForOutput(/password (\S+)\n/, START_MS)
      const stdout = second.stdout()
      expect(stdout.indexOf('Server listening')).toBeGreaterThan(-1)
      expect(stdout.indexOf('Server listening')).toBeLessThan(stdout.indexOf('Tessera created an administrator'))
      const password = /password (\S+)\n/.exec(stdout)![1]!
      const login = await fetch(`http://127.0.0.1:${port}/v2.0/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { passwordCredentials: { username: 'admin', password }, tenantName: 'admin' } })
      })
      expect(login.status).toBe(200)
      expect(((await login.json()) as { access: { token: { id: string } } }).access.token.id).toMatch(/^[0-9a-f]{64}$/)
    } finally {
      second.signal('SIGTERM')
      await second.exited
    }
  }, 2 * START_MS)

  it('with MIGRATE_ON_START=false on an empty database says to run the migrations', async () => {
    const server = await spawnServer({ PORT: String(await freePort()), DATA_DIR: await freshDataDir(directory), MIGRATE_ON_START: 'false' })
    expect(await failedWithOneLine(server)).toBe('tessera: configuration error: MIGRATE_ON_START is false and the database has no schema yet: ' +
      'run `npm run migrate` (`node dist/migrate.js` in the container) with the same DATABASE_URL or DATA_DIR first, or leave MIGRATE_ON_START unset')
    expect(server.stdout()).not.toMatch(/password/i)
  }, START_MS)

  it('with a DATA_DIR this user may not write names the variable in one line', async () => {
    const locked = join(directory, 'locked')
    await mkdir(locked, { mode: 0o755 })
    const asRoot = process.getuid?.() === 0
    if (!asRoot) await chmod(locked, 0o555)
    const server = await spawnServer({ DATA_DIR: join(locked, 'data') }, 'server', asRoot ? { uid: NOBODY, gid: NOBODY } : {})
    expect(await failedWithOneLine(server))
      .toBe(`tessera: configuration error: DATA_DIR ${join(locked, 'data')} is not writable by this user: permission denied; set DATA_DIR to a directory this user can write`)
  }, START_MS)
})
