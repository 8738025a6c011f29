import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDataDir } from '../helpers/embedded-data.js'
import { freePort, spawnNpmStart, type ServerProcess } from './server-process.js'

// Budgets, raised on a slow machine with TESSERA_TEST_START_MS and TESSERA_TEST_STOP_MS.
const START_MS = Number(process.env.TESSERA_TEST_START_MS ?? 60_000)
const STOP_MS = Number(process.env.TESSERA_TEST_STOP_MS ?? 10_000)

let directory: string
// global-setup.ts built dist/ as npm install's prepare does, so each start below finds it fresh.
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-npm-start-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

/** Polls until `check` holds, failing after `timeoutMs` with `what`. */
async function until (what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    // A poll's interval: a process's state (listening, refusing, gone) shows only when asked.
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function answers (port: number, path = '/healthz'): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}${path}`).then((response) => response.ok, () => false)
}

function refuses (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
}

/** Whether any process is left in the process group that `npm start` leads. */
function groupAlive (npm: ServerProcess): boolean {
  try {
    process.kill(-npm.child.pid!, 0)
    return true
  } catch {
    return false
  }
}

async function startNpm (): Promise<{ npm: ServerProcess, port: number, password: string }> {
  const port = await freePort()
  const password = `pw-${randomBytes(8).toString('hex')}`
  const npm = await spawnNpmStart({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: await freshDataDir(directory),
    TESSERA_ADMIN_PASSWORD: password
  })
  await until(`GET /healthz answers 200; stdout: ${npm.stdout()} stderr: ${npm.stderr()}`, START_MS, () => {
    if (npm.child.exitCode !== null) throw new Error(`npm start ended: ${npm.stdout()} ${npm.stderr()}`)
    return answers(port)
  })
  expect(npm.stderr()).not.toMatch(/building dist/)
  return { npm, port, password }
}

/**
 * How npm itself ended. Not `exited`, which waits for npm's output to close: an orphaned server
 * would hold it open.
 */
async function exitOf (npm: ServerProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  const { child } = npm
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
  return { code: child.exitCode, signal: child.signalCode }
}

/** A login whose body is only half sent, so the server is busy with it until `finish`. */
function halfSentLogin (port: number, password: string) {
  const body = JSON.stringify({ auth: { passwordCredentials: { username: 'admin', password } } })
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v2.0/tokens', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } })
  const reply = new Promise<{ status: number, body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = ''
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
  })
  req.write(body.slice(0, 10))
  return { reply, finish: () => req.end(body.slice(10)) }
}

describe('npm start', () => {
  it('stops, with its server, on SIGTERM to the npm process: nothing is left serving', async () => {
    const { npm, port } = await startNpm()
    try {
      npm.child.kill('SIGTERM')
      const ended = await exitOf(npm)
      await until('the port stops answering', STOP_MS, () => refuses(port))
      await until('no process is left in npm\'s process group', STOP_MS, () => !groupAlive(npm))
      expect(ended).toEqual({ code: 0, signal: null })
      expect(npm.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/)
    } finally {
      if (groupAlive(npm)) process.kill(-npm.child.pid!, 'SIGKILL')
    }
  }, START_MS + 3 * STOP_MS)

  // Ctrl-C signals the terminal's process group; a supervisor (systemd, a container runtime) the
  // whole group or cgroup. npm then relays SIGTERM, so the server gets it twice, a millisecond apart.
  it.each(['SIGINT', 'SIGTERM'] as const)('stops gracefully when %s reaches its whole process group', async (signal) => {
    const { npm, port, password } = await startNpm()
    try {
      const login = halfSentLogin(port, password)
      await until('the server reads the login', STOP_MS, () => /"url":"\/v2\.0\/tokens".*"msg":"incoming request"/.test(npm.stdout()))
      process.kill(-npm.child.pid!, signal)
      await until('the server starts shutting down', STOP_MS, () => new RegExp(`"signal":"${signal}".*"msg":"shutting down"`).test(npm.stdout()))
      login.finish()
      const answer = await login.reply
      expect(answer.status, answer.body + npm.stdout().slice(-3000)).toBe(200)
      expect(JSON.parse(answer.body).access.token.id).toMatch(/^[0-9a-f]{64}$/)
      expect(await exitOf(npm), npm.stderr()).toEqual({ code: 0, signal: null })
      await until('no process is left in npm\'s process group', STOP_MS, () => !groupAlive(npm))
      expect(await refuses(port)).toBe(true)
      expect(npm.stderr()).not.toMatch(/second SIG|killed by timeout/)
    } finally {
      if (groupAlive(npm)) process.kill(-npm.child.pid!, 'SIGKILL')
    }
  }, START_MS + 3 * STOP_MS)
})
