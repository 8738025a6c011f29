import { createServer } from 'node:net'
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUser, unique } from '../helpers/factories.js'
import { jsonLines, pipedStdin } from './run-cli.js'
import { setupRemote, type RemoteSetup } from './remote-cli.js'

let r: RemoteSetup
let admin: { name: string, password: string }
let credentialsFile: string
beforeAll(async () => {
  r = await setupRemote()
  const fixture = await insertUser(r.t.app.db, { accountId: r.t.config.admin.account, roles: ['admin'] })
  admin = { name: fixture.user.name, password: fixture.password }
  credentialsFile = join(r.configHome, 'tessera', 'credentials.json')
})
afterAll(() => r?.close())

/** Logged in as `admin` through the CLI, with no TESSERA_TOKEN. */
const NO_TOKEN = { TESSERA_TOKEN: undefined }
const login = (password = admin.password, extra: string[] = []) =>
  r.remote(['login', '--user', admin.name, '--account', r.t.config.admin.account, '--password-stdin', '--json', ...extra], NO_TOKEN, pipedStdin(`${password}\n`))

async function storedToken (): Promise<string> {
  return JSON.parse(await readFile(credentialsFile, 'utf8'))[r.url].token
}

describe('tessera login', () => {
  it('keeps the session in a file only its owner reads, keyed by URL, and never prints the token', async () => {
    const result = await login()
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const token = await storedToken()
    expect(token).toMatch(/\S{20,}/)
    expect(result.stdout).not.toContain(token)
    expect(jsonLines(result.stdout)).toEqual([{ url: r.url, user: admin.name, account: { id: r.t.config.admin.account, name: expect.any(String) }, expires: expect.stringMatching(/^\d{4}-/) }])
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600)
    expect((await stat(join(r.configHome, 'tessera'))).mode & 0o077).toBe(0)

    const listed = await r.remote(['accounts', 'list', '--json'], NO_TOKEN)
    expect(listed).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(listed.stdout).map((account) => account.id)).toContain(r.t.config.admin.account)
  })

  it('says a wrong password was refused, with exit code 4, and keeps no token', async () => {
    const other = unique('nobody')
    const result = await r.remote(['login', '--user', other, '--password-stdin'], { ...NO_TOKEN, XDG_CONFIG_HOME: join(r.configHome, other) }, pipedStdin('wrong password\n'))
    expect(result.code).toBe(4)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(new RegExp(`^tessera: login to ${r.url} refused: .+\\n$`))
    await expect(stat(join(r.configHome, other, 'tessera', 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('asks for --password-stdin when standard input is a pipe, without reading it', async () => {
    const result = await r.remote(['login', '--user', admin.name], NO_TOKEN, pipedStdin(`${admin.password}\n`))
    expect(result).toEqual({ code: 2, stdout: '', stderr: "tessera: standard input is not a terminal: pass --password-stdin to read the password from it\nRun 'tessera login --help' for usage.\n" })
  })
})

describe('tessera logout', () => {
  it('revokes the session on the server and forgets it', async () => {
    expect((await login()).code).toBe(0)
    const token = await storedToken()
    const result = await r.remote(['logout', '--json'], NO_TOKEN)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(result.stdout)).toEqual([{ url: r.url, revoked: true, forgotten: true }])
    expect(JSON.parse(await readFile(credentialsFile, 'utf8'))).toEqual({})
    const refused = await fetch(`${r.url}/admin/v1/accounts`, { headers: { 'x-auth-token': token } })
    expect(refused.status).toBe(401)

    const again = await r.remote(['logout'], NO_TOKEN)
    expect(again).toEqual({ code: 0, stdout: `no session kept for ${r.url}\n`, stderr: '' })
  })

  it('needs a server: without TESSERA_URL it is a usage error', async () => {
    const result = await r.local(['logout'])
    expect(result).toEqual({ code: 2, stdout: '', stderr: "tessera: logout needs a server: set TESSERA_URL or pass --url\nRun 'tessera logout --help' for usage.\n" })
  })
})

describe('refused and unreachable', () => {
  it('tells to log in when the token is refused (exit code 4)', async () => {
    const result = await r.remote(['accounts', 'list'], { TESSERA_TOKEN: 'not-a-token' })
    expect(result).toEqual({ code: 4, stdout: '', stderr: `tessera: the server at ${r.url} refused the session token (expired or revoked): run tessera login --url ${r.url} (or set TESSERA_TOKEN)\n` })
  })

  it('tells to log in when there is no token at all, or the kept one has expired, without asking the server', async () => {
    const home = join(r.configHome, 'expired')
    const none = await r.remote(['accounts', 'list'], { TESSERA_TOKEN: undefined, XDG_CONFIG_HOME: home })
    expect(none).toEqual({ code: 4, stdout: '', stderr: `tessera: not logged in to ${r.url}: run tessera login --url ${r.url} (or set TESSERA_TOKEN)\n` })

    await mkdir(join(home, 'tessera'), { recursive: true })
    await writeFile(join(home, 'tessera', 'credentials.json'), JSON.stringify({ [r.url]: { token: 'old', expires: '2020-01-01T00:00:00Z', user: 'x' } }), { mode: 0o600 })
    const expired = await r.remote(['accounts', 'list'], { TESSERA_TOKEN: undefined, XDG_CONFIG_HOME: home })
    expect(expired).toEqual({ code: 4, stdout: '', stderr: `tessera: the session kept for ${r.url} expired at 2020-01-01T00:00:00Z: run tessera login --url ${r.url} (or set TESSERA_TOKEN)\n` })
  })

  it('answers 404 as a failed operation with the API\'s message (exit code 1)', async () => {
    const result = await r.remote(['accounts', 'disable', 'no-such-account'])
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'tessera: account no-such-account does not exist\n' })
  })

  it('answers 403 as a failed operation: an account admin cannot list every user', async () => {
    const member = await insertUser(r.t.app.db, { accountId: r.t.config.admin.account, roles: ['member'] })
    const session = await fetch(`${r.url}/v2.0/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth: { passwordCredentials: { username: member.user.name, password: member.password }, tenantId: r.t.config.admin.account } }) })
    const token = (await session.json() as { access: { token: { id: string } } }).access.token.id
    const result = await r.remote(['users', 'list'], { TESSERA_TOKEN: token })
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'tessera: You are not authorized to perform the requested action.\n' })
  })

  it('says the server is unreachable, with its URL (exit code 3)', async () => {
    const closed = await closedPort()
    const url = `http://127.0.0.1:${closed}`
    const { runCli } = await import('../../src/cli/index.js')
    const { remoteContext } = await import('../../src/cli/remote/remote-context.js')
    let stderr = ''
    const code = await runCli(['accounts', 'list'], await remoteContext({ stdin: pipedStdin(), stdout: { write: () => true }, stderr: { write: (text: string) => { stderr += text } } }, url, { TESSERA_TOKEN: 'x' }))
    expect(code).toBe(3)
    expect(stderr).toBe(`tessera: server unreachable at ${url}: ECONNREFUSED\n`)
  })
})

/** A loopback port nothing listens on: one the system gave, then closed. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
