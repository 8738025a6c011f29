import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * The session tokens of `tessera login`, one per server URL, in a file only its owner reads:
 * $XDG_CONFIG_HOME/tessera/credentials.json, or ~/.config/tessera/credentials.json.
 */

export interface StoredSession {
  token: string
  /** When the server said the token expires (ISO 8601), to say so before sending it. */
  expires: string | null
  user: string
}

type Sessions = Record<string, StoredSession>

export function credentialsPath (env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(base, 'tessera', 'credentials.json')
}

/** One server, however its URL was typed: no trailing slash. */
export function serverKey (url: string): string {
  return url.replace(/\/+$/, '')
}

async function readAll (path: string): Promise<Sessions> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
  try {
    const parsed = JSON.parse(text) as unknown
    return parsed !== null && typeof parsed === 'object' ? parsed as Sessions : {}
  } catch {
    return {}
  }
}

/** Written to a new file (mode 0600) then renamed over the old one: never a moment world-readable or half written. */
async function writeAll (path: string, sessions: Sessions): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const next = `${path}.${process.pid}.tmp`
  await writeFile(next, `${JSON.stringify(sessions, null, 2)}\n`, { mode: 0o600 })
  await chmod(next, 0o600)
  await rename(next, path)
}

export async function readSession (path: string, url: string): Promise<StoredSession | undefined> {
  return (await readAll(path))[serverKey(url)]
}

export async function saveSession (path: string, url: string, session: StoredSession): Promise<void> {
  const sessions = await readAll(path)
  sessions[serverKey(url)] = session
  await writeAll(path, sessions)
}

/** True when there was one to forget. */
export async function forgetSession (path: string, url: string): Promise<boolean> {
  const sessions = await readAll(path)
  if (!(serverKey(url) in sessions)) return false
  delete sessions[serverKey(url)]
  await writeAll(path, sessions)
  return true
}
