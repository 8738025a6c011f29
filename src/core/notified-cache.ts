import { OldestFirstMap, type InsertionOrder } from './oldest-first-map.js'

/** What a loader found: the value and when it stops being valid on its own (a token's expiry). */
export interface Loaded<T> {
  value: T
  expiresAt: Date
}

/** The expiry of what does not expire by itself (the re-check interval still bounds its entry). */
export const NO_EXPIRY = new Date(8.64e15)

export interface NotifiedCacheOptions {
  /** Most entries kept; the oldest go first. */
  maxEntries: number
  /** Longest an entry is trusted without asking the database again, even with no notification. */
  recheckMs: number
}

interface Entry extends InsertionOrder<Entry> {
  value: unknown
  until: number
  group: string | undefined
}

/**
 * What this process read from the database in the last few seconds and may answer again from
 * memory: validated credentials, keyed by kind and the secret's hash (never the secret), and the
 * objects of hot reads. An entry is dropped by a change notification (its key, its group's key,
 * or `*` for all), after `recheckMs`, or at its own expiry (a token's), whichever comes first.
 * A group gathers the entries one notification ends together: the pages of one user's token list.
 *
 * A load that overlaps a flush is not remembered: it may have read what the flush was for. The
 * cache is off (every lookup loads) whenever notifications cannot be trusted to arrive.
 */
export class NotifiedCache {
  readonly #entries: OldestFirstMap<Entry>
  readonly #groups = new Map<string, Set<string>>()
  readonly #options: NotifiedCacheOptions
  #generation = 0
  #enabled: boolean
  /** Lookups answered from memory, and those that loaded (for the metrics). */
  hits = 0
  misses = 0

  constructor (options: NotifiedCacheOptions, { enabled = true } = {}) {
    this.#options = options
    this.#entries = new OldestFirstMap(options.maxEntries)
    this.#enabled = enabled && options.maxEntries > 0 && options.recheckMs > 0
  }

  get enabled (): boolean {
    return this.#enabled
  }

  get size (): number {
    return this.#entries.size
  }

  /**
   * The cached value, else what `load` finds (remembered unless a flush overlapped it). With a
   * `group`, forgetting the group's key forgets this entry too.
   */
  async getOrLoad<T> (key: string, now: Date, load: () => Promise<Loaded<T> | undefined>, group?: string): Promise<T | undefined> {
    const nowMs = now.getTime()
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      if (entry.until > nowMs) {
        this.hits++
        return entry.value as T
      }
      this.#drop(key)
    }
    this.misses++
    const generation = this.#generation
    const loaded = await load()
    if (loaded !== undefined && this.#enabled && generation === this.#generation) {
      this.#remember({ key, value: loaded.value, until: Math.min(loaded.expiresAt.getTime(), nowMs + this.#options.recheckMs), group, older: undefined, newer: undefined })
    }
    return loaded?.value
  }

  /** Drops the entry `key` names, and every entry of the group it names: a notification named it. */
  forget (key: string): void {
    this.#drop(key)
    for (const member of this.#groups.get(key) ?? []) this.#entries.delete(member)
    this.#groups.delete(key)
    this.#generation++
  }

  /** Drops everything, and every load in flight. */
  flush (): void {
    this.#entries.clear()
    this.#groups.clear()
    this.#generation++
  }

  /** Notifications stopped arriving: serve from the database until they are back. */
  disable (): void {
    this.#enabled = false
    this.flush()
  }

  /** Notifications arrive again; what happened meanwhile is unknown, so start empty. */
  enable (): void {
    this.flush()
    this.#enabled = this.#options.maxEntries > 0 && this.#options.recheckMs > 0
  }

  #remember (entry: Entry): void {
    this.#drop(entry.key)
    const evicted = this.#entries.set(entry)
    if (evicted !== undefined) this.#leaveGroup(evicted)
    if (entry.group === undefined) return
    const members = this.#groups.get(entry.group) ?? new Set()
    this.#groups.set(entry.group, members.add(entry.key))
  }

  #drop (key: string): void {
    const entry = this.#entries.delete(key)
    if (entry !== undefined) this.#leaveGroup(entry)
  }

  #leaveGroup (entry: Entry): void {
    if (entry.group === undefined) return
    const members = this.#groups.get(entry.group)
    members?.delete(entry.key)
    if (members?.size === 0) this.#groups.delete(entry.group)
  }
}

/** Where a hot read may be answered from memory: the app's read cache, at the request's time. */
export interface ReadCache {
  cache: NotifiedCache
  now: Date
}

/** What `load` finds, through `via` when there is one (see NotifiedCache.getOrLoad). */
export async function readThrough<T> (via: ReadCache | undefined, key: string, load: () => Promise<Loaded<T> | undefined>, group?: string): Promise<T | undefined> {
  return via ? via.cache.getOrLoad(key, via.now, load, group) : (await load())?.value
}
