import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/index.js'
import { remoteContext } from '../../src/cli/remote/remote-context.js'
import { insertUser, unique } from '../helpers/factories.js'
import { pipedStdin, type CliResult } from './run-cli.js'
import { setupRemote, type RemoteSetup } from './remote-cli.js'

/**
 * Remote mode keeps the password and the session token to the server named: no redirect is
 * followed, no plain http off this machine; the credentials file is never written through
 * another's folder, nor silently emptied when it does not parse.
 */

let r: RemoteSetup
let admin: { name: string, password: string }
beforeAll(async () => {
  r = await setupRemote()
  const fixture = await insertUser(r.t.app.db, { accountId: r.t.config.admin.account, roles: ['admin'] })
  admin = { name: fixture.user.name, password: fixture.password }
})
afterAll(() => r?.close())

const NO_TOKEN = { TESSERA_TOKEN: undefined }
const loginArgs = () => ['login', '--user', admin.name, '--account', r.t.config.admin.account, '--password-stdin']

/** The CLI in remote mode against any URL, as the bin runs it. */
async function cliAt (url: string, argv: string[], env: Record<string, string | undefined>, stdin = pipedStdin()): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const io = { stdin, stdout: { write: (text: string) => { stdout += text } }, stderr: { write: (text: string) => { stderr += text } } }
  const code = await runCli(argv, await remoteContext(io, url, env))
  return { code, stdout, stderr }
}

interface Received { method: string, url: string, headers: IncomingMessage['headers'], body: string }

async function serve (handler: (request: IncomingMessage, body: string) => { status: number, headers?: Record<string, string> }): Promise<{ url: string, server: Server }> {
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => { body += chunk.toString() })
    request.on('end', () => {
      const { status, headers } = handler(request, body)
      response.writeHead(status, headers).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

describe('a redirecting server', () => {
  const received: Received[] = []
  let target: { url: string, server: Server }
  let redirecting: { url: string, server: Server }
  let status = 307
  beforeAll(async () => {
    target = await serve((request, body) => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body })
      return { status: 200, headers: { 'content-type': 'application/json' } }
    })
    redirecting = await serve((request) => ({ status, headers: { location: `${target.url}${request.url}` } }))
  })
  afterAll(async () => {
    for (const { server } of [target, redirecting]) await new Promise((resolve) => server?.close(resolve))
  })

  it('is not followed by login: exit code 3, the Location named, the password sent nowhere else', async () => {
    status = 307
    const home = join(r.configHome, unique('redirect'))
    const result = await cliAt(redirecting.url, loginArgs(), { XDG_CONFIG_HOME: home }, pipedStdin(`${admin.password}\n`))
    expect(result).toEqual({ code: 3, stdout: '', stderr: `tessera: the server at ${redirecting.url} answered 307 redirecting to ${target.url}/v2.0/tokens: redirects are not followed, set TESSERA_URL (or --url) to the server's own URL\n` })
    expect(received).toEqual([])
    await expect(stat(join(home, 'tessera', 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('is not followed by a command: the session token is sent nowhere else', async () => {
    status = 308
    const result = await cliAt(redirecting.url, ['accounts', 'list'], { TESSERA_TOKEN: r.token, XDG_CONFIG_HOME: r.configHome })
    expect(result).toEqual({ code: 3, stdout: '', stderr: `tessera: the server at ${redirecting.url} answered 308 redirecting to ${target.url}/admin/v1/accounts?limit=100: redirects are not followed, set TESSERA_URL (or --url) to the server's own URL\n` })
    expect(received).toEqual([])
  })
})

describe('plain http', () => {
  it('is refused off this machine, as a usage error, before any request', async () => {
    const url = 'http://tessera.example.invalid:8080'
    await expect(cliAt(url, ['accounts', 'list'], { TESSERA_TOKEN: 'x' })).rejects.toMatchObject({
      name: 'RemoteFailure',
      exitCode: 2,
      message: `TESSERA_URL (or --url) must use https:// unless the server is on this machine (got "${url}"): plain http would send the password and the session token in clear`
    })
  })

  it('is accepted for localhost, 127.0.0.0/8 and ::1; https anywhere', async () => {
    const io = { stdin: pipedStdin(), stdout: { write: () => true }, stderr: { write: () => true } }
    for (const url of ['http://localhost:1', 'http://127.1.2.3:1', 'http://[::1]:1', 'https://tessera.example.invalid']) {
      await expect(remoteContext(io, url, { TESSERA_TOKEN: 'x' })).resolves.toMatchObject({ session: { url } })
    }
    for (const url of ['http://127.0.0.1.example.invalid', 'http://localhost.example.invalid', 'http://[::2]:1']) {
      await expect(remoteContext(io, url, { TESSERA_TOKEN: 'x' })).rejects.toMatchObject({ exitCode: 2 })
    }
  })
})

describe('the credentials file', () => {
  it('is written in a folder made 0700 when it was group and world writable, as 0600, leaving no temporary file', async () => {
    const home = join(r.configHome, unique('loose'))
    const folder = join(home, 'tessera')
    await mkdir(folder, { recursive: true })
    await chmod(folder, 0o777)
    const result = await r.remote(loginArgs(), { ...NO_TOKEN, XDG_CONFIG_HOME: home }, pipedStdin(`${admin.password}\n`))
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect((await stat(folder)).mode & 0o777).toBe(0o700)
    expect((await stat(join(folder, 'credentials.json'))).mode & 0o777).toBe(0o600)
    expect(await readdir(folder)).toEqual(['credentials.json'])
  })

  it.skipIf(process.getuid?.() !== 0)('is not written in a folder another user owns', async () => {
    const home = join(r.configHome, unique('foreign'))
    const folder = join(home, 'tessera')
    await mkdir(folder, { recursive: true, mode: 0o700 })
    await chown(folder, 65534, 65534)
    const result = await r.remote(loginArgs(), { ...NO_TOKEN, XDG_CONFIG_HOME: home }, pipedStdin(`${admin.password}\n`))
    expect(result).toEqual({ code: 3, stdout: '', stderr: `tessera: the folder ${folder} of the credentials file belongs to another user (uid 65534): set XDG_CONFIG_HOME to a folder of yours\n` })
    expect(await readdir(folder)).toEqual([])
  })

  it('that does not parse is named, left as it is, and not replaced by login', async () => {
    const home = join(r.configHome, unique('corrupt'))
    const file = join(home, 'tessera', 'credentials.json')
    await mkdir(join(home, 'tessera'), { recursive: true, mode: 0o700 })
    const corrupt = '{"https://other.example": {"token": "kept"'
    await writeFile(file, corrupt, { mode: 0o600 })
    const message = `the credentials file ${file} is not a JSON object: repair it, or delete it and run tessera login again`

    // With TESSERA_TOKEN the file is read only when login saves the session.
    const login = await r.remote(loginArgs(), { XDG_CONFIG_HOME: home }, pipedStdin(`${admin.password}\n`))
    expect(login).toEqual({ code: 3, stdout: '', stderr: `tessera: ${message}\n` })
    // Without it, as soon as the command starts.
    await expect(r.remote(['logout'], { ...NO_TOKEN, XDG_CONFIG_HOME: home })).rejects.toMatchObject({ name: 'RemoteFailure', exitCode: 3, message })
    expect(await readFile(file, 'utf8')).toBe(corrupt)

    await writeFile(file, '[]', { mode: 0o600 })
    await expect(r.remote(['accounts', 'list'], { ...NO_TOKEN, XDG_CONFIG_HOME: home })).rejects.toMatchObject({ exitCode: 3, message })
    expect(await readFile(file, 'utf8')).toBe('[]')
    expect(await readdir(join(home, 'tessera'))).toEqual(['credentials.json'])
  })
})
