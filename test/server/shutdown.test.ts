import { randomBytes } from 'node:crypto'
import { request, Agent } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createFreshDatabase, type FreshDatabase } from '../db/fresh-database.js'
import { freshDataDir } from '../helpers/embedded-data.js'
import { freePort, spawnServer, type ServerProcess } from './server-process.js'

let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-shutdown-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

/** GET over a keep-alive agent; the socket stays open afterwards, idle, until `closed`. */
function keepAliveGet (port: number, agent: Agent, path: string): Promise<{ status: number, body: string, closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const closed = new Promise<void>((resolve) => res.socket.once('close', () => resolve()))
      let body = ''
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, closed }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Everything the server writes back on a raw socket, until it closes the connection or answers in full. */
function readReply (socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const done = () => resolve(text)
    socket.on('data', (chunk) => {
      text += chunk
      const [head, body = ''] = text.split('\r\n\r\n')
      const length = /content-length: *(\d+)/i.exec(head ?? '')
      if (length && Buffer.byteLength(body) >= Number(length[1])) done()
    })
    socket.on('end', done)
    socket.on('close', done)
    socket.on('error', reject)
  })
}

async function startServer (env: Record<string, string>): Promise<{ server: ServerProcess, port: number }> {
  const port = await freePort()
  const server = await spawnServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env })
  await server.waitForOutput('Server listening at', 90_000)
  return { server, port }
}

/**
 * SIGTERM while a login is half sent and another connection sits idle: the login must still get
 * its whole answer, and the process must then exit 0 within a few seconds (close-with-grace allows 10).
 */
async function checkGracefulShutdown (server: ServerProcess, port: number, credentials: { username: string, password: string }): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const { closed: idleClosed, ...ready } = await keepAliveGet(port, agent, '/readyz')
  expect(ready).toEqual({ status: 200, body: JSON.stringify({ status: 'ready' }) })

  const body = JSON.stringify({ auth: { passwordCredentials: credentials } })
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const reply = readReply(socket)
  socket.write(`POST /v2.0/tokens HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`)
  socket.write(body.slice(0, 10))
  // The server has taken the login (its head), so it is in flight when the signal comes.
  await server.waitForOutput(/"url":"\/v2\.0\/tokens"[^\n]*"msg":"incoming request"/)

  const signalled = Date.now()
  server.signal('SIGTERM')
  // The server is closing: it ended the idle connection. The request it already took is finished all the same.
  await idleClosed
  expect(server.child.exitCode).toBeNull()
  socket.write(body.slice(10))

  const answer = await reply
  expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
  const json = JSON.parse(answer.split('\r\n\r\n')[1]!)
  expect(json.access.token.id).toMatch(/^[0-9a-f]{64}$/)

  const { code, signal } = await server.exited
  expect({ code, signal }, `stdout: ${server.stdout()}\nstderr: ${server.stderr()}`).toEqual({ code: 0, signal: null })
  expect(Date.now() - signalled).toBeLessThan(8000)
  expect(server.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/)
  expect(server.stderr()).not.toMatch(/killed by timeout|second SIGTERM/)
  agent.destroy()
}

describe('graceful shutdown of the real server', () => {
  it('on the embedded database: finishes the in-flight request, then exits 0', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`
    const dataDir = await freshDataDir(directory)
    const { server, port } = await startServer({ DATA_DIR: dataDir, TESSERA_ADMIN_PASSWORD: password })
    try {
      await checkGracefulShutdown(server, port, { username: 'admin', password })
    } finally {
      server.signal('SIGKILL')
    }
    // The embedded database was closed cleanly: the next start opens it and finds the admin.
    const again = await startServer({ DATA_DIR: dataDir, TESSERA_ADMIN_PASSWORD: password })
    try {
      expect(again.server.stdout()).toContain('schema up to date')
      expect(again.server.stdout()).not.toContain('administrator created')
      again.server.signal('SIGTERM')
      expect((await again.server.exited).code).toBe(0)
    } finally {
      again.server.signal('SIGKILL')
    }
  }, 240_000)

  describe.runIf(inject('testDatabase').kind === 'postgres')('on PostgreSQL', () => {
    let fresh: FreshDatabase
    beforeAll(async () => { fresh = await createFreshDatabase() })
    afterAll(() => fresh.drop())

    it('migrates, serves, finishes the in-flight request, then exits 0', async () => {
      const password = `pw-${randomBytes(8).toString('hex')}`
      const { server, port } = await startServer({
        DATABASE_URL: fresh.url!,
        TESSERA_SECRET_KEY: randomBytes(32).toString('base64'),
        TESSERA_ADMIN_PASSWORD: password,
        DATA_DIR: join(directory, 'unused')
      })
      try {
        expect(server.stdout()).toContain('migrations applied')
        await checkGracefulShutdown(server, port, { username: 'admin', password })
      } finally {
        server.signal('SIGKILL')
      }
    }, 180_000)
  })
})
