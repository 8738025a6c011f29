/**
 * The read cache's key of a host factory, and the group of what is read about it: migration 0012
 * notifies it when the factory, its layers, permissions or tokens change or go.
 */
export function factoryCacheKey (accountId: string, factoryId: string): string {
  return `conjur-factory:${accountId}/${factoryId}`
}

/** The read cache's key of a host factory as GET /resources shows it, in the factory's group. */
export function factoryViewKey (accountId: string, factoryId: string): string {
  return `${factoryCacheKey(accountId, factoryId)}#view`
}
