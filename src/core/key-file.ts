import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateSecretKey, parseSecretKey } from './secrets.js'

export const KEY_FILE_NAME = 'secret.key'

/**
 * The embedded database's server key: generated on first start and kept beside the data,
 * readable by the owner only. Returns the key text and whether it was just created.
 */
export function loadOrCreateKeyFile (dataDir: string): { key: string, created: boolean } {
  const path = join(dataDir, KEY_FILE_NAME)
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim()
    if (parseSecretKey(key) === null) throw new Error(`${path} does not hold a 32-byte key (base64 or hex)`)
    return { key, created: false }
  }
  mkdirSync(dataDir, { recursive: true })
  const key = generateSecretKey()
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return { key, created: true }
}
