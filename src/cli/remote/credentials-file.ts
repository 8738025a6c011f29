import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { EXIT } from '../command.js'
import { RemoteFailure } from './client.js'

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
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {}
  // Never replaced by an empty one: that would lose the sessions kept for other servers.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RemoteFailure(EXIT.environment, `the credentials file ${path} is not a JSON object: repair it, or delete it and run tessera login again`)
  }
  return parsed as Sessions
}

/** The folder, made 0700 if it is ours; refused if another user owns it (they could swap the file). */
async function secureFolder (folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 })
  const { uid, mode } = await stat(folder)
  const me = process.getuid?.()
  if (me !== undefined && uid !== me) throw new RemoteFailure(EXIT.environment, `the folder ${folder} of the credentials file belongs to another user (uid ${uid}): set XDG_CONFIG_HOME to a folder of yours`)
  if ((mode & 0o077) !== 0) await chmod(folder, 0o700)
}

/**
 * Written to a new file (mode 0600) then renamed over the old one: never a moment world-readable
 * or half written. The new file has a random name and must not exist ('wx'): nothing planted there is written through.
 */
async function writeAll (path: string, sessions: Sessions): Promise<void> {
  await secureFolder(dirname(path))
  const next = `${path}.${randomBytes(8).toString('hex')}.tmp`
  try {
    await writeFile(next, `${JSON.stringify(sessions, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    await chmod(next, 0o600)
    await rename(next, path)
  } catch (error) {
    // Not a file someone else put there first.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(next, { force: true })
    throw error
  }
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
