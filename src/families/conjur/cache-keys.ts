import { pairKey } from '../../db/notified-keys.js'

/**
 * The read cache's key of a host factory, and the group of what is read about it: migration 0012
 * notifies it when the factory, its layers, permissions or tokens change or go.
 */
export function factoryCacheKey (accountId: string, factoryId: string): string {
  return pairKey('conjur-factory:', accountId, factoryId)
}

/** The read cache's key of a host factory as GET /resources shows it, in the factory's group. */
export function factoryViewKey (accountId: string, factoryId: string): string {
  return `${factoryCacheKey(accountId, factoryId)}#view`
}

/**
 * The credential cache's key of the caller an access token names (`host/<id>` for a host):
 * migration 0011 notifies it when the host goes.
 */
export function callerCacheKey (accountId: string, login: string): string {
  return pairKey('conjur-caller:', accountId, login)
}
