import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecretSource } from '../../src/cli/command.js'
import { runCli } from '../../src/cli/index.js'
import { remoteContext } from '../../src/cli/remote/remote-context.js'
import { listen } from '../helpers/real-clients.js'
import { superAdminSession } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { cliOn, pipedStdin, type CliResult } from './run-cli.js'

export interface RemoteSetup {
  t: TestApp
  /** The app's base URL, on a real socket. */
  url: string
  /** A super-admin's session token. */
  token: string
  /** XDG_CONFIG_HOME of this file's tests: the credentials file lives under it. */
  configHome: string
  /** The CLI in remote mode against the app, in-process; `env` adds to (or, with undefined, removes from) TESSERA_TOKEN and XDG_CONFIG_HOME. */
  remote (argv: string[], env?: Record<string, string | undefined>, stdin?: SecretSource): Promise<CliResult>
  /** The CLI on the app's database, as without TESSERA_URL. */
  local (argv: string[], stdin?: SecretSource): Promise<CliResult>
  close (): Promise<void>
}

/** An app listening on a loopback port, a super-admin's session, and the CLI both ways. */
export async function setupRemote (): Promise<RemoteSetup> {
  const t = await setupTestApp()
  const url = await listen(t.app)
  const { token } = await superAdminSession(t.app)
  const configHome = await mkdtemp(join(tmpdir(), 'tessera-cli-config-'))
  return {
    t,
    url,
    token,
    configHome,
    async remote (argv, env = {}, stdin = pipedStdin()) {
      let stdout = ''
      let stderr = ''
      const io = { stdin, stdout: { write: (text: string) => { stdout += text } }, stderr: { write: (text: string) => { stderr += text } } }
      const environment = { TESSERA_TOKEN: token, XDG_CONFIG_HOME: configHome, ...env }
      const code = await runCli(argv, await remoteContext(io, url, environment))
      return { code, stdout, stderr }
    },
    local: cliOn(t.app.db, t.config),
    async close () {
      await t.close()
      await rm(configHome, { recursive: true, force: true })
    }
  }
}

/** A value's shape: each leaf replaced by its type, so two runs on different records compare. */
export function shapeOf (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shapeOf(item)]).sort(([a], [b]) => String(a).localeCompare(String(b))))
  return value === null ? 'null' : typeof value
}
