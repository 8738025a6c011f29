/** Most values a memo keeps: one that grows past it starts over. */
export const MEMO_CAP = 10_000

/**
 * The value `map` holds for `key`, made once by `make`: for what many requests or sessions
 * share (a role id, a rendered catalog, one holder's objects). Bounded: past MEMO_CAP the map
 * starts over, and what it made before stays with whoever holds it.
 */
export function memo<T> (map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key)
  if (value === undefined) {
    if (map.size >= MEMO_CAP) map.clear()
    value = make()
    map.set(key, value)
  }
  return value
}
