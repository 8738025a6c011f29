import { hashKey, pairKey } from '../../db/notified-keys.js'

/** The credential cache's key of a token, by its secret's hash; migration 0011 notifies it when the token changes or goes. */
export function astraTokenCacheKey (hash: Uint8Array): string {
  return hashKey('astra-token:', hash)
}

/**
 * The read cache's group of one user's token list: migration 0012 notifies it when one of their
 * tokens changes or goes; this process's own writes empty the cache at once (FlushOnWrite).
 */
export function tokenListGroup (accountId: string, userId: string): string {
  return pairKey('astra-tokens:', accountId, userId)
}
