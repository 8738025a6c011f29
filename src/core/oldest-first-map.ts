/** The fields an entry of an OldestFirstMap carries: its key and its neighbours in insertion order. */
export interface InsertionOrder<N> {
  readonly key: string
  older: N | undefined
  newer: N | undefined
}

/**
 * A map of at most `maxEntries` entries that drops its oldest (by insertion) to make room, in
 * O(1). A plain Map cannot serve: V8 leaves a hole per deleted entry at the front of its table,
 * so finding the oldest by iteration (`map.keys().next()`) costs a step per entry dropped since
 * the last rehash: 66 µs a time on average, with spikes of 160 ms, at 100 000 entries.
 * The entries carry their own links (InsertionOrder), so an entry is one object, not two: the
 * credential cache keeps 100 000 of them.
 */
export class OldestFirstMap<N extends InsertionOrder<N>> {
  readonly #entries = new Map<string, N>()
  readonly #maxEntries: number
  #oldest: N | undefined
  #newest: N | undefined

  constructor (maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get size (): number {
    return this.#entries.size
  }

  get (key: string): N | undefined {
    return this.#entries.get(key)
  }

  /** Adds `entry` as the newest, in place of any under its key; the oldest it pushed out to make room, if any. */
  set (entry: N): N | undefined {
    this.delete(entry.key)
    const evicted = this.#entries.size >= this.#maxEntries ? this.#oldest : undefined
    if (evicted !== undefined) this.delete(evicted.key)
    entry.older = this.#newest
    entry.newer = undefined
    if (this.#newest !== undefined) this.#newest.newer = entry
    else this.#oldest = entry
    this.#newest = entry
    this.#entries.set(entry.key, entry)
    return evicted
  }

  /** Removes the entry under `key`, and returns it. */
  delete (key: string): N | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.older !== undefined) entry.older.newer = entry.newer
    else this.#oldest = entry.newer
    if (entry.newer !== undefined) entry.newer.older = entry.older
    else this.#newest = entry.older
    entry.older = entry.newer = undefined
    return entry
  }

  clear (): void {
    this.#entries.clear()
    this.#oldest = this.#newest = undefined
  }
}
