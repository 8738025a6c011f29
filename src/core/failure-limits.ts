import type { RateFigures } from './errors.js'
import { OldestFirstMap, type InsertionOrder } from './oldest-first-map.js'

/** One key's failures in its current window. */
export interface FailureCount {
  failures: number
  resetAt: Date
}

/** Where failures are counted, shared by every replica: PostgreSQL by default, Redis with REDIS_URL. */
export interface FailureStore {
  /** Counts one failure for each key atomically; each key's count in its (possibly new) window. */
  count (keys: readonly string[], windowSeconds: number, now: Date): Promise<Map<string, FailureCount>>
  /** Takes back one count of each key whose window is open (a login counted before it succeeded). */
  refund (keys: readonly string[], now: Date): Promise<void>
  /** Deletes up to `batchSize` ended windows (stores whose keys expire by themselves have none). */
  purge? (now: Date, batchSize: number): Promise<number>
}

export interface FailurePolicy {
  /** Failed logins allowed per window for one person, and for one name, from one client address (0: no limit). */
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
 * Whom a name resolved to: a user (however named, in whichever API, on any account), or a
 * principal a family keeps of its own, of that kind, in one account.
 */
export type Person = { userId: string } | { kind: string, accountId: string, id: string }

/**
 * What a login names, once it has looked the name up: the name as given (a user name, a user id,
 * `host/<id>`), and whom it resolved to, if anyone.
 */
export interface LoginSubject {
  name: string
  person?: Person | undefined
}

/**
 * A name is counted in one spelling, whatever its case or Unicode form, and whether or not it
 * names anyone: its count cannot tell which names exist.
 */
function nameText (name: string): string {
  return `name:${name.normalize('NFKC').trim().toLowerCase()}`
}

/** One text per person, so every way of naming them counts against the same limit. */
function personText (person: Person): string {
  return 'userId' in person ? `user:${person.userId}` : `${person.kind}:${person.accountId}/${person.id}`
}

/** A login let through and counted already, before its secret was checked. */
export interface LoginAttempt {
  keys: readonly Limited[]
  counts: Map<string, FailureCount>
}

/** A key over its limit until `until`, as this process remembers it. */
interface Block extends InsertionOrder<Block> {
  until: number
  figures: RateFigures
}

/** Most blocked keys remembered per process; the oldest go first (the store still has them). */
const MAX_REMEMBERED = 100_000

/**
 * The brute-force policy. Failures are counted in fixed windows per client address, and per name
 * and per person *from that client address*: a client that reaches a limit is refused until its
 * window ends, whose end never moves, so a lock never outlives its window. An attacker elsewhere
 * can exhaust only their own addresses' counts, never lock a user out of the addresses that user
 * logs in from. A person is counted once however the logins name them.
 *
 * A login is counted *before* its secret is checked, and given back if it succeeds: guesses
 * sent in parallel are counted as they arrive, so no more of them are checked than the limit.
 *
 * Blocks are remembered in memory once learnt from the store, so a refused client costs no
 * round trip; a replica learns of another's block at its next count.
 */
export class FailureLimits {
  readonly #store: FailureStore
  readonly #policy: FailurePolicy
  readonly #fingerprint: (text: string) => string
  readonly #blocked = new OldestFirstMap<Block>(MAX_REMEMBERED)

  /** `fingerprint`: a keyed hash, so the shared store holds no name (a mistyped password may be one). */
  constructor (store: FailureStore, policy: FailurePolicy, fingerprint: (text: string) => string) {
    this.#store = store
    this.#policy = policy
    this.#fingerprint = fingerprint
  }

  get enabled (): boolean {
    return this.#policy.perClient > 0 || this.#policy.perUser > 0
  }

  /** The keys a failure of `client` (and of what it names, from it) counts against. */
  #keys (client: string, subject: LoginSubject | null): Limited[] {
    const keys: Limited[] = []
    if (this.#policy.perClient > 0) keys.push({ key: `client:${client}`, limit: this.#policy.perClient })
    if (subject !== null && this.#policy.perUser > 0) {
      const texts = [nameText(subject.name), ...(subject.person ? [personText(subject.person)] : [])]
      for (const text of texts) keys.push({ key: `user:${this.#fingerprint(text)}@${client}`, limit: this.#policy.perUser })
    }
    return keys
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

  /**
   * Remembers the keys whose count passed their limit by more than `allowance`; the refusal of the
   * one blocked longest. A count that includes the attempt being decided allows it one more.
   */
  #learn (keys: readonly Limited[], counts: Map<string, FailureCount>, now: Date, allowance: 0 | 1): Refusal | undefined {
    let longest: { until: number, figures: RateFigures } | undefined
    for (const { key, limit } of keys) {
      const count = counts.get(key)
      if (count === undefined || count.failures < limit + allowance) continue
      const until = count.resetAt.getTime()
      const block: Block = { key, older: undefined, newer: undefined, until, figures: { limit, remaining: 0, windowSeconds: this.#policy.windowSeconds, resetSeconds: Math.ceil((until - now.getTime()) / 1000) } }
      this.#blocked.set(block)
      if (longest === undefined || until > longest.until) longest = block
    }
    return longest && { retryAfterSeconds: (longest.until - now.getTime()) / 1000, figures: longest.figures }
  }

  /** A block of `client` this process knows of already: a refusal that costs no round trip, nor the login's lookups. */
  blockedClient (client: string, now: Date): Refusal | undefined {
    return this.#remembered(this.#keys(client, null), now)
  }

  /**
   * Before a login checks a secret: counts it against the client and what it names, and refuses it
   * if that passes a limit (or a block is remembered). Otherwise the attempt, to settle afterwards.
   */
  async beginLogin (client: string, subject: LoginSubject | null, now: Date): Promise<{ refusal: Refusal } | { attempt: LoginAttempt }> {
    const keys = this.#keys(client, subject)
    if (keys.length === 0) return { attempt: { keys, counts: new Map() } }
    const remembered = this.#remembered(keys, now)
    if (remembered) return { refusal: remembered }
    const counts = await this.#store.count(keys.map(({ key }) => key), this.#policy.windowSeconds, now)
    const refusal = this.#learn(keys, counts, now, 1)
    return refusal ? { refusal } : { attempt: { keys, counts } }
  }

  /** The attempt failed (it is counted already): the refusal to answer with when it used up a limit. */
  loginFailed (attempt: LoginAttempt, now: Date): Refusal | undefined {
    return this.#learn(attempt.keys, attempt.counts, now, 0)
  }

  /** The attempt succeeded: its count is given back, so that a user's own logins never lock them out. */
  async loginSucceeded (attempt: LoginAttempt, now: Date): Promise<void> {
    if (attempt.keys.length > 0) await this.#store.refund(attempt.keys.map(({ key }) => key), now)
  }

  /**
   * Counts a failed credential of `client` (a presented token, or a login that failed before it
   * named anyone); the refusal when this failure reached a limit. A client already refused is not
   * counted again.
   */
  async failed (client: string, now: Date): Promise<Refusal | undefined> {
    const keys = this.#keys(client, null)
    if (keys.length === 0) return undefined
    const remembered = this.#remembered(keys, now)
    if (remembered) return remembered
    return this.#learn(keys, await this.#store.count(keys.map(({ key }) => key), this.#policy.windowSeconds, now), now, 0)
  }
}
