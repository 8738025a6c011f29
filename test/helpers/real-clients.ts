import { spawn, spawnSync } from 'node:child_process'
import type { App } from '../../src/app.js'

/**
 * Real client libraries (Debian's python3-keystoneauth1 and ruby-fog-rackspace) driven against
 * the app on a real socket. Where a library is missing the tests are skipped with a notice,
 * except when TESSERA_REQUIRE_CLIENTS=1 (as .ci/run sets it): then a missing library fails.
 */
export const REQUIRE_CLIENTS = process.env.TESSERA_REQUIRE_CLIENTS === '1'

/** Debian's own interpreters: the python3 first on PATH may not see Debian's packages. */
export const DEBIAN_PYTHON = '/usr/bin/python3'
export const DEBIAN_RUBY = '/usr/bin/ruby'

export interface ClientCheck {
  available: boolean
  reason: string
}

/** Whether `command args…` exits 0 (e.g. the interpreter can import the library). */
export function probe (command: string, args: string[], what: string): ClientCheck {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 })
  const available = result.status === 0
  return { available, reason: available ? '' : `${what} is not installed (${command} ${args.join(' ')} failed)` }
}

export const keystoneauthCheck = () => probe(DEBIAN_PYTHON, ['-c', 'import keystoneauth1'], 'python3-keystoneauth1')
export const fogCheck = () => probe(DEBIAN_RUBY, ['-e', 'require "fog/rackspace"'], 'ruby-fog-rackspace')

/** Listens on an ephemeral loopback port and returns the base URL. */
export async function listen (app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

export interface ClientRun {
  code: number | null
  stdout: string
  stderr: string
  /** Each stdout line that parses as JSON: the scripts report what they saw this way. */
  events: any[]
}

export function runClient (command: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const events = stdout.split('\n').flatMap((line) => {
        try { return line.trim().startsWith('{') ? [JSON.parse(line)] : [] } catch { return [] }
      })
      resolve({ code, stdout, stderr, events })
    })
  })
}
