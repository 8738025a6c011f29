import { memo } from '../core/bounded-memo.js'
import type { NotifiedCache } from '../core/notified-cache.js'
import type { Principal } from '../core/principal.js'
import { randomHex, randomUrlSafe, sha256 } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { explainSessionRefusal, findActiveSession, insertAuthSession, revokeAuthSession, type ActiveSession } from '../db/repositories/auth-sessions.js'
import type { Refusal } from '../core/refusal.js'
import type { NewAuditEvent } from '../db/repositories/audit-events.js'
import { hashKey } from '../db/notified-keys.js'

export type SessionMethod = ActiveSession['method']

/** What a session says about its holder; the secret itself is never kept. */
export interface Session {
  auditId: string
  /** [auditId] or, for a re-scoped token, [auditId, first audit id of the chain]. */
  auditIds: string[]
  method: SessionMethod
  user: { id: string, name: string }
  account: { id: string, name: string } | null
  /** The user's own account, when the session was read from the database. */
  homeAccountId?: string | undefined
  roles: string[]
  issuedAt: Date
  expiresAt: Date
}

export interface IssuedSession extends Session {
  /** The token id: shown once, stored only as its SHA-256. */
  token: string
}

export interface IssueSessionInput {
  user: { id: string, name: string }
  account: { id: string, name: string } | null
  roles: string[]
  method: SessionMethod
  /** Lifetime of a new session; a re-scoped one keeps its parent's expiry instead. */
  ttlSeconds: number
  /** The session this one re-scopes, when issued from a token. */
  parent?: Session | undefined
}

/** 22 URL-safe characters, as Keystone's audit ids. */
function newAuditId (): string {
  return randomUrlSafe(16)
}

/** Every session token's shape: 64 lowercase hex digits. Anything else is not a session. */
export const SESSION_TOKEN_FORMAT = /^[0-9a-f]{64}$/

/** 256-bit random token id; opaque to clients, like Keystone's UUID and Fernet tokens. */
function newSessionToken (): string {
  return randomHex(32)
}

const METHODS: Record<SessionMethod, SessionMethod> = { password: 'password', apikey: 'apikey', token: 'token' }

/**
 * A session read from the database, as the credential cache keeps up to 100 000 of them: its
 * holder's objects (user, accounts, roles) shared with every other session that has the same,
 * its times as numbers and its audit ids as strings (the Dates and the list are made when read).
 * Frozen: the cache shares it.
 */
class StoredSession implements Session {
  readonly auditId: string
  readonly #chainId: string
  readonly method: SessionMethod
  readonly user: { id: string, name: string }
  readonly account: { id: string, name: string } | null
  readonly homeAccountId: string
  readonly roles: string[]
  readonly #issuedMs: number
  readonly #expiresMs: number

  constructor (row: ActiveSession) {
    this.auditId = row.audit_id
    this.#chainId = row.audit_chain_id === row.audit_id ? row.audit_id : row.audit_chain_id
    this.method = METHODS[row.method]
    const holder = memo(holders, `${row.user_id}\n${row.user_name}\n${row.home_account_id}`, () => ({ user: Object.freeze({ id: row.user_id, name: row.user_name }), homeAccountId: row.home_account_id }))
    this.user = holder.user
    this.homeAccountId = holder.homeAccountId
    const accountName = row.account_name ?? row.account_id
    this.account = row.account_id === null ? null : memo(accounts, `${row.account_id}\n${accountName}`, () => Object.freeze({ id: row.account_id!, name: accountName! }))
    this.roles = memo(roleLists, row.roles.join('\n'), () => Object.freeze(row.roles) as string[])
    this.#issuedMs = row.issued_at.getTime()
    this.#expiresMs = row.expires_at.getTime()
    Object.freeze(this)
  }

  get auditIds (): string[] {
    return this.#chainId === this.auditId ? [this.auditId] : [this.auditId, this.#chainId]
  }

  get issuedAt (): Date {
    return new Date(this.#issuedMs)
  }

  get expiresAt (): Date {
    return new Date(this.#expiresMs)
  }
}

/** What the sessions of one holder share, by their values. */
const holders = new Map<string, { user: Session['user'], homeAccountId: string }>()
const accounts = new Map<string, NonNullable<Session['account']>>()
const roleLists = new Map<string, string[]>()

/** A new session; with `audit`, stored with the audit row `audit` makes of it, in one statement. */
export async function issueSession (db: Database, input: IssueSessionInput, now: Date, audit?: (session: IssuedSession) => NewAuditEvent): Promise<IssuedSession> {
  const token = newSessionToken()
  const auditId = newAuditId()
  const chainId = input.parent ? input.parent.auditIds.at(-1)! : auditId
  const issuedAt = now
  const expiresAt = input.parent?.expiresAt ?? new Date(issuedAt.getTime() + input.ttlSeconds * 1000)
  const session: IssuedSession = {
    token,
    auditId,
    auditIds: chainId === auditId ? [auditId] : [auditId, chainId],
    method: input.method,
    user: input.user,
    account: input.account,
    roles: input.roles,
    issuedAt,
    expiresAt
  }
  await insertAuthSession(db, {
    audit_id: auditId,
    secret_hash: sha256(token),
    user_id: input.user.id,
    account_id: input.account?.id ?? null,
    roles: input.roles,
    method: input.method,
    audit_chain_id: chainId,
    rescoped_from: input.parent?.auditId ?? null,
    issued_at: issuedAt,
    expires_at: expiresAt
  }, audit?.(session))
  return session
}

/** The cache key of the session whose secret hashes to `hash`; migration 0008 notifies the same. */
export function sessionCacheKey (hash: Uint8Array): string {
  return hashKey('session:', hash)
}

/**
 * The live session a token id names: from `cache` when it holds it (the object is shared, so
 * frozen), else one indexed lookup.
 */
export async function findSession (db: Database, token: string, now: Date, cache?: NotifiedCache): Promise<Session | undefined> {
  const hash = sha256(token)
  const load = async () => {
    const row = await findActiveSession(db, hash, now)
    return row && { value: new StoredSession(row) as Session, expiresAt: row.expires_at }
  }
  return cache ? cache.getOrLoad(sessionCacheKey(hash), now, load) : (await load())?.value
}

/** Why a token id names no live session, for the audit trail: one more read, on refusal only. */
export async function sessionRefusal (db: Database, token: string, now: Date): Promise<Refusal> {
  const why = await explainSessionRefusal(db, sha256(token), now)
  return {
    reason: why.reason,
    accountId: why.accountId ?? null,
    actor: why.userId === undefined ? undefined : { kind: 'user', id: why.userId, name: why.userName ?? null },
    object: why.auditId === undefined ? undefined : { type: 'session', id: why.auditId },
    details: { credential: 'session' }
  }
}

/** Revocation is one row update; every replica reads it on its next validation. */
export function revokeSession (db: Database, auditId: string): Promise<boolean> {
  return revokeAuthSession(db, auditId)
}

export function sessionPrincipal (session: Session): Principal {
  return {
    kind: 'user',
    id: session.user.id,
    name: session.user.name,
    accountId: session.account?.id ?? null,
    homeAccountId: session.homeAccountId,
    roles: session.roles,
    credential: { kind: 'session', id: session.auditId, accessor: session.auditId, expiresAt: session.expiresAt }
  }
}
