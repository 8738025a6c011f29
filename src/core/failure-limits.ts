import type { RateFigures } from './errors.js'

/** One key's failures in its current window. */
export interface FailureCount {
  failures: number
  resetAt: Date
}

/** Where failures are counted, shared by every replica: PostgreSQL by default, Redis with REDIS_URL. */
export interface FailureStore {
  /** Counts one failure for each key atomically; each key's count in its (possibly new) window. */
  count (keys: readonly string[], windowSeconds: number, now: Date): Promise<Map<string, FailureCount>>
  /** The counts of keys whose window is open, counting nothing. */
  peek (keys: readonly string[], now: Date): Promise<Map<string, FailureCount>>
  /** Deletes up to `batchSize` ended windows (stores whose keys expire by themselves have none). */
  purge? (now: Date, batchSize: number): Promise<number>
}

export interface FailurePolicy {
  /** Failed logins allowed per window for one person from one client address (0: no limit). */
  perUser: number
  /** Failed credentials of any kind allowed per window from one client address (0: no limit). */
  perClient: number
  windowSeconds: number
}

/** Why and for how long a client is refused. */
export interface Refusal {
  retryAfterSeconds: number
  figures: RateFigures
}

interface Limited {
  key: string
  limit: number
}

/**
 * Whom a login names, once the login has looked the name up: the user (however named: by
 * name or id, in Keystone or Conjur, on any account they hold a role on), the Conjur host, or,
 * when the name resolves to nobody, the name itself.
 */
export type LoginSubject = { userId: string } | { accountId: string, hostId: string } | { unknownName: string }

/** One text per person, so every way of naming them counts against the same limit. */
function subjectText (subject: LoginSubject): string {
  if ('userId' in subject) return `user:${subject.userId}`
  if ('hostId' in subject) return `host:${subject.accountId}/${subject.hostId}`
  // Names that name nobody share a count per spelling, whatever their case or Unicode form.
  return `name:${subject.unknownName.normalize('NFKC').trim().toLowerCase()}`
}

/** Most blocked keys remembered per process; the oldest go first (the store still has them). */
const MAX_REMEMBERED = 100_000

/**
 * The brute-force policy. Failures are counted in fixed windows per client address and per
 * person *from that client address*: a client that reaches a limit is refused until its window
 * ends, and failures while refused are not counted, so a lock never outlives its window. An
 * attacker elsewhere can exhaust only their own addresses' counts, never lock a user out of the
 * addresses that user logs in from. A person is counted once however the logins name them.
 *
 * Blocks are remembered in memory once learnt from the store (a count or a peek), so a refused
 * client costs no round trip; a replica learns of another's block at its next peek (logins) or count.
 */
export class FailureLimits {
  readonly #store: FailureStore
  readonly #policy: FailurePolicy
  readonly #fingerprint: (text: string) => string
  readonly #blocked = new Map<string, { until: number, figures: RateFigures }>()

  /** `fingerprint`: a keyed hash, so the shared store holds no name (a mistyped password may be one). */
  constructor (store: FailureStore, policy: FailurePolicy, fingerprint: (text: string) => string) {
    this.#store = store
    this.#policy = policy
    this.#fingerprint = fingerprint
  }

  get enabled (): boolean {
    return this.#policy.perClient > 0 || this.#policy.perUser > 0
  }

  /** The keys a failure of `client` (and of `subject` from it) counts against. */
  #keys (client: string, subject: LoginSubject | null): Limited[] {
    const keys: Limited[] = []
    if (this.#policy.perClient > 0) keys.push({ key: `client:${client}`, limit: this.#policy.perClient })
    if (subject !== null && this.#policy.perUser > 0) {
      keys.push({ key: `user:${this.#fingerprint(subjectText(subject))}@${client}`, limit: this.#policy.perUser })
    }
    return keys
  }

  /** A block of `client` this process knows of already: a refusal that costs no round trip, nor the login's lookups. */
  blockedClient (client: string, now: Date): Refusal | undefined {
    return this.#remembered(this.#keys(client, null), now)
  }

  /** A refusal remembered in memory for one of the keys: no round trip. */
  #remembered (keys: readonly Limited[], now: Date): Refusal | undefined {
    for (const { key } of keys) {
      const block = this.#blocked.get(key)
      if (block === undefined) continue
      if (block.until > now.getTime()) return { retryAfterSeconds: (block.until - now.getTime()) / 1000, figures: block.figures }
      this.#blocked.delete(key)
    }
    return undefined
  }

  /** Remembers the keys at or over their limit; the refusal of the one blocked longest. */
  #learn (keys: readonly Limited[], counts: Map<string, FailureCount>, now: Date): Refusal | undefined {
    let longest: { until: number, figures: RateFigures } | undefined
    for (const { key, limit } of keys) {
      const count = counts.get(key)
      if (count === undefined || count.failures < limit) continue
      const until = count.resetAt.getTime()
      const block = { until, figures: { limit, remaining: 0, windowSeconds: this.#policy.windowSeconds, resetSeconds: Math.ceil((until - now.getTime()) / 1000) } }
      this.#blocked.delete(key)
      if (this.#blocked.size >= MAX_REMEMBERED) this.#blocked.delete(this.#blocked.keys().next().value!)
      this.#blocked.set(key, block)
      if (longest === undefined || until > longest.until) longest = block
    }
    return longest && { retryAfterSeconds: (longest.until - now.getTime()) / 1000, figures: longest.figures }
  }

  /** Before a login checks a secret: a refusal if the client, or this person from it, is blocked (memory, then the store). */
  async beforeLogin (client: string, subject: LoginSubject | null, now: Date): Promise<Refusal | undefined> {
    const keys = this.#keys(client, subject)
    if (keys.length === 0) return undefined
    return this.#remembered(keys, now) ?? this.#learn(keys, await this.#store.peek(keys.map(({ key }) => key), now), now)
  }

  /**
   * Counts a failed credential of `client` (a login naming `subject`, or a presented token); the
   * refusal when this failure reached a limit. A client already refused is not counted again.
   */
  async failed (client: string, subject: LoginSubject | null, now: Date): Promise<Refusal | undefined> {
    const keys = this.#keys(client, subject)
    if (keys.length === 0) return undefined
    const remembered = this.#remembered(keys, now)
    if (remembered) return remembered
    return this.#learn(keys, await this.#store.count(keys.map(({ key }) => key), this.#policy.windowSeconds, now), now)
  }
}
