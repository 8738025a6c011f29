import { pairKey } from '../../db/notified-keys.js'

/**
 * The read cache's key of one token, by its sort key (unique in the tenant, not secret);
 * migration 0012 notifies it when the token changes or goes.
 */
export function agentTokenCacheKey (accountId: string, sortKey: string): string {
  return pairKey('agent-token:', accountId, sortKey)
}
