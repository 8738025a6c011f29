import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { NotifiedCache } from '../src/core/notified-cache.js'
import type { Config } from '../src/config.js'
import type { Database } from '../src/db/database.js'
import { renderAccess } from '../src/families/keystone/access.js'
import { findSession } from '../src/services/sessions.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** The heap in use once everything unreachable is gone. */
function settledHeap (): number {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

export interface CachedSessionBytes {
  /** A session in the credential cache: its entry, key and the session object. */
  cacheEntry: number
  /** What validating it adds (keystone/access.ts renderAccess): what it renders and keeps. */
  renderedAccess: number
}

/**
 * Bytes of heap per cached session, in this process: `tokens` (live sessions in `db`) validated
 * into a credential cache of the default size, 500 at once, then the heap's growth over their count.
 */
export async function bytesPerCachedSession (db: Database, tokens: string[], config: Config, baseUrl: string): Promise<CachedSessionBytes> {
  const cache = new NotifiedCache({ maxEntries: tokens.length, recheckMs: 3_600_000 })
  const now = new Date()
  const sessions = []
  const before = settledHeap()
  for (let offset = 0; offset < tokens.length; offset += 500) {
    await Promise.all(tokens.slice(offset, offset + 500).map((token) => findSession(db, token, now, cache)))
  }
  const cached = settledHeap()
  if (cache.size !== tokens.length) throw new Error(`${cache.size} sessions cached, not ${tokens.length}`)
  // Once more, from the cache, with each access document rendered as validation does.
  for (const token of tokens) {
    const session = (await findSession(db, token, now, cache))!
    sessions.push(renderAccess(session, token, config, baseUrl, JSON.stringify))
  }
  sessions.length = 0
  const rendered = settledHeap()
  cache.flush()
  return { cacheEntry: (cached - before) / tokens.length, renderedAccess: (rendered - cached) / tokens.length }
}
