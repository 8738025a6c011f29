import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The compiled entry points the processes run; global-setup.ts builds dist/ (tsc -b) first. */
export type EntryPoint = 'server' | 'migrate' | 'cli'

/** The arguments that make node run an entry point as `npm start` does: compiled, no tsx. */
export function entryArgs (entryPoint: EntryPoint): string[] {
  return [join(ROOT, 'dist', `${entryPoint}.js`)]
}

/**
 * The user's npmrc may hold settings npm warns about on stderr ("Unknown user config"); an
 * empty one keeps npx's own noise out of the server's stderr, which the tests read line by line.
 */
let emptyNpmrc: Promise<string> | undefined
function quietNpmrc (): Promise<string> {
  // One fixed file, rewritten with the same text by whichever test file comes first.
  const path = join(tmpdir(), 'tessera-test-quiet.npmrc')
  emptyNpmrc ??= writeFile(path, 'update-notifier=false\nfund=false\naudit=false\n').then(() => path)
  return emptyNpmrc
}

/**
 * Only what the server needs from this environment: none of the test runner's TESSERA_* or
 * DATABASE_URL leaks into the child, so every variable it sees is one the test set.
 */
export async function childEnv (env: Record<string, string>): Promise<Record<string, string>> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    npm_config_userconfig: await quietNpmrc(),
    ...env
  }
}

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Resolves when stdout contains `text`; rejects if the process ends first or after `timeoutMs`. */
  waitForOutput: (text: string | RegExp, timeoutMs?: number) => Promise<void>
  /** Signals the server itself: the pid it logs (the child's own, as node is spawned directly). */
  signal: (signal: NodeJS.Signals) => void
}

/**
 * Spawns `node dist/server.js` (or another entry point) with exactly `env` (plus PATH and HOME):
 * node itself is the child, with no npm or shell between it and the test's signals. Compiled
 * code starts in half the time tsx needs to transform the sources. `as` runs it as another user
 * (a root test runner's way to meet a permission problem).
 */
export async function spawnServer (env: Record<string, string>, entryPoint: EntryPoint = 'server', as: { uid?: number, gid?: number } = {}): Promise<ServerProcess> {
  return track(spawn(process.execPath, entryArgs(entryPoint), { cwd: ROOT, env: await childEnv(env), ...as }))
}

/**
 * Spawns `npm start` as a user would (it runs dist/, built if stale), leading a process group of
 * its own so that a test can signal npm alone, or the whole group as a terminal's Ctrl-C does.
 */
export async function spawnNpmStart (env: Record<string, string>): Promise<ServerProcess> {
  return track(spawn('npm', ['start'], { cwd: ROOT, env: await childEnv(env), detached: true }))
}

function track (child: ChildProcessWithoutNullStreams): ServerProcess {
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout.on('data', (chunk) => { stdout += chunk; for (const listener of listeners) listener() })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  let ended = false
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true
      resolve({ code, signal })
      for (const listener of listeners) listener()
    })
  })

  function waitForOutput (text: string | RegExp, timeoutMs = 60_000): Promise<void> {
    const seen = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${String(text)} on stdout within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
      function finish (error?: Error) {
        clearTimeout(timer)
        listeners.delete(check)
        if (error) reject(error)
        else resolve()
      }
      function check () {
        if (seen()) finish()
        else if (ended) finish(new Error(`server exited before printing ${String(text)}; stdout: ${stdout} stderr: ${stderr}`))
      }
      listeners.add(check)
      check()
    })
  }

  function signal (name: NodeJS.Signals): void {
    if (ended) return
    const logged = /"pid":(\d+)/.exec(stdout)
    try {
      if (logged) process.kill(Number(logged[1]), name)
    } catch {
      // Already gone.
    }
    if (!logged || name === 'SIGKILL') child.kill(name)
  }

  return { child, stdout: () => stdout, stderr: () => stderr, exited, waitForOutput, signal }
}

/** A TCP port nothing listens on right now. */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
