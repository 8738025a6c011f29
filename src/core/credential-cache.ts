/** What a loader found: the value and when it stops being valid on its own (a token's expiry). */
export interface Loaded<T> {
  value: T
  expiresAt: Date
}

export interface CredentialCacheOptions {
  /** Most entries kept; the oldest go first. */
  maxEntries: number
  /** Longest an entry is trusted without asking the database again, even with no notification. */
  recheckMs: number
}

/**
 * Credentials this process validated in the last few seconds, keyed by kind and the secret's
 * hash (never the secret). An entry is dropped by a change notification (its key, or `*` for
 * all), after `recheckMs`, or at the credential's own expiry, whichever comes first.
 *
 * A load that overlaps a flush is not remembered: it may have read what the flush was for. The
 * cache is off (every lookup loads) whenever notifications cannot be trusted to arrive.
 */
export class CredentialCache {
  readonly #entries = new Map<string, { value: unknown, until: number }>()
  readonly #options: CredentialCacheOptions
  #generation = 0
  #enabled: boolean

  constructor (options: CredentialCacheOptions, { enabled = true } = {}) {
    this.#options = options
    this.#enabled = enabled && options.maxEntries > 0 && options.recheckMs > 0
  }

  get enabled (): boolean {
    return this.#enabled
  }

  get size (): number {
    return this.#entries.size
  }

  /** The cached value, else what `load` finds (remembered unless a flush overlapped it). */
  async getOrLoad<T> (key: string, now: Date, load: () => Promise<Loaded<T> | undefined>): Promise<T | undefined> {
    const nowMs = now.getTime()
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      if (entry.until > nowMs) return entry.value as T
      this.#entries.delete(key)
    }
    const generation = this.#generation
    const loaded = await load()
    if (loaded !== undefined && this.#enabled && generation === this.#generation) {
      this.#remember(key, loaded.value, Math.min(loaded.expiresAt.getTime(), nowMs + this.#options.recheckMs))
    }
    return loaded?.value
  }

  /** Drops one entry: a notification named it. */
  forget (key: string): void {
    this.#entries.delete(key)
    this.#generation++
  }

  /** Drops everything, and every load in flight. */
  flush (): void {
    this.#entries.clear()
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

  #remember (key: string, value: unknown, until: number): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(key, { value, until })
  }
}
