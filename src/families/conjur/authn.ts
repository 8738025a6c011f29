import { Unauthenticated } from '../../core/errors.js'
import type { Actor, Refusal } from '../../core/refusal.js'
import type { LoginSubject } from '../../core/failure-limits.js'
import type { LoginGuard } from '../../plugins/limits/failure-limits.js'
import { openApiKey, verifyApiKey, type CredentialTools } from '../../core/credentials.js'
import { constantTimeEqual, sha256 } from '../../core/secrets.js'
import { isStorableText } from '../../core/storable-text.js'
import type { Database } from '../../db/database.js'
import { findAccountByName, type AccountRow } from '../../db/repositories/accounts.js'
import type { AuditContext } from '../../services/audit.js'
import { rotateApiKey } from '../../services/identity.js'
import { upgradePasswordHash } from '../../services/password-upgrade.js'
import type { AccessToken, AccessTokens } from './access-token.js'
import { findHost, findUserRole, type HostRecord, type UserRole } from './repository.js'
import { hostKeySealingContext } from './secrets.js'

/**
 * Conjur's API-key authenticator (spec §A6) over Tessera's identities: `{account}` is an
 * account name, a user logs in by name (with a password or API key), a host as `host/<id>`
 * (with its API key). Every failure is the same 401, and takes as long whether or not the
 * account, user or host exists.
 */

/** Who logged in, for the audit trail of a success. */
export interface LoggedIn<T> {
  value: T
  accountId: string
  actor: Actor
  method: 'password' | 'api-key'
  /** The accessor of the API key the login used; null for a password. */
  credential: string | null
}

/** `host/<id>` is a host; `user/<name>` or a bare name a user. */
function parseLogin (login: string): { kind: 'host' | 'user', id: string } {
  if (login.startsWith('host/')) return { kind: 'host', id: login.slice('host/'.length) }
  if (login.startsWith('user/')) return { kind: 'user', id: login.slice('user/'.length) }
  return { kind: 'user', id: login }
}

/** The Conjur login of a role: what access tokens carry in `sub`. */
function canonicalLogin (login: { kind: 'host' | 'user', id: string }): string {
  return login.kind === 'host' ? `host/${login.id}` : login.id
}

/** No account has an empty id: the lookups of a login to an unknown account find nobody, at the same cost. */
const NO_ACCOUNT = ''

/** The account a login names, when it is enabled; its refusal otherwise (thrown once the login has done its work). */
async function accountNamed (db: Database, name: string, login: string): Promise<{ account: AccountRow, refusal?: undefined } | { account: undefined, refusal: Refusal }> {
  const account = await findAccountByName(db, name)
  if (account?.enabled) return { account }
  return { account: undefined, refusal: { reason: account ? 'account-disabled' : 'unknown-account', accountId: account?.id ?? null, details: { account: name }, unknownLogin: login } }
}

function verifyHostKey (hash: Uint8Array | undefined, apiKey: string): boolean {
  const matches = constantTimeEqual(Buffer.from(hash ?? Buffer.alloc(32)), sha256(apiKey))
  return hash !== undefined && matches
}

function hostActor (hostId: string): Actor {
  return { kind: 'host', id: hostId, name: `host/${hostId}` }
}

/** Why a host's login was refused (the key never appears); an unknown host id is kept only as a fingerprint. */
function hostRefusal (accountId: string, hostId: string, known: boolean): Refusal {
  if (!known) return { reason: 'unknown-host', accountId, unknownLogin: `host/${hostId}` }
  return { reason: 'wrong-api-key', accountId, actor: hostActor(hostId) }
}

/** A login naming nobody keeps only the fingerprint of the name: it may be a password typed in the wrong field. */
function userRefusal (accountId: string, login: string, user: UserRole | undefined, reason: string): Refusal {
  if (!user) return { reason: 'unknown-user', accountId, unknownLogin: login }
  return { reason, accountId, actor: { kind: 'user', id: user.id, name: user.name } }
}

/**
 * The role a login names on `accountId`, and what the failure limits count it as. A name no
 * database text can hold (HTTP Basic carries a NUL) names nobody, unread.
 */
async function roleNamed (db: Database, accountId: string, subject: { kind: 'host' | 'user', id: string }): Promise<{ host?: HostRecord, user?: UserRole, counted: LoginSubject }> {
  const readable = isStorableText(subject.id)
  if (subject.kind === 'host') {
    const host = readable ? await findHost(db, accountId, subject.id) : undefined
    return { host, counted: { name: canonicalLogin(subject), person: host && { kind: 'host', accountId, id: host.id } } }
  }
  const user = readable ? await findUserRole(db, accountId, subject.id) : undefined
  return { user, counted: { name: subject.id, person: user && { userId: user.id } } }
}

/** The role an HTTP Basic login proved to be, as stored. */
export type BasicRole = { kind: 'user', user: UserRole } | { kind: 'host', host: HostRecord }

/**
 * HTTP Basic with a password or an API key (hosts: an API key), checked as Conjur's authn
 * authenticator does for GET /authn/{account}/login and PUT /authn/{account}/api_key. A login
 * to an unknown or disabled account goes the same way, its lookups finding nobody, and is
 * refused at the end.
 */
export async function verifyBasicLogin (db: Database, tools: CredentialTools, accountName: string, credentials: { login: string, secret: string }, guard: LoginGuard, context: AuditContext): Promise<LoggedIn<BasicRole>> {
  const { account, refusal } = await accountNamed(db, accountName, credentials.login)
  const accountId = account?.id ?? NO_ACCOUNT
  const subject = parseLogin(credentials.login)
  if (subject.id === '' || credentials.secret === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account?.id ?? null })
  const { host, user, counted } = await roleNamed(db, accountId, subject)
  await guard(counted)
  if (subject.kind === 'host') {
    const verified = verifyHostKey(host?.api_key_hash, credentials.secret)
    if (refusal) throw new Unauthenticated(undefined, refusal)
    if (!verified) throw new Unauthenticated(undefined, hostRefusal(accountId, subject.id, host !== undefined))
    return { value: { kind: 'host', host: host! }, accountId, actor: hostActor(host!.id), method: 'api-key', credential: host!.api_key_accessor }
  }
  const byKey = verifyApiKey(user?.key_hash, credentials.secret)
  const verified = byKey || await tools.passwords.verify(user?.password_hash, credentials.secret)
  if (refusal) throw new Unauthenticated(undefined, refusal)
  if (!user || !verified || !user.active) throw new Unauthenticated(undefined, userRefusal(accountId, subject.id, user, verified ? 'disabled' : 'wrong-password'))
  const actor: Actor = { kind: 'user', id: user.id, name: user.name }
  if (!byKey) await upgradePasswordHash(db, tools.passwords, { ...context, actor }, { id: user.id, accountId, storedHash: user.password_hash! }, credentials.secret)
  return { value: { kind: 'user', user }, accountId, actor, method: byKey ? 'api-key' : 'password', credential: byKey ? user.key_accessor : null }
}

/**
 * GET /authn/{account}/login: HTTP Basic with a password or an API key; answers the role's
 * existing API key. A user key issued before sealed copies existed cannot be shown again: the
 * user gets a new one (and the old one stops working).
 */
export async function login (db: Database, tools: CredentialTools, accountName: string, credentials: { login: string, secret: string }, guard: LoginGuard, context: AuditContext): Promise<LoggedIn<string>> {
  const loggedIn = await verifyBasicLogin(db, tools, accountName, credentials, guard, context)
  const role = loggedIn.value
  if (role.kind === 'host') return { ...loggedIn, value: tools.box.open(role.host.api_key_sealed, hostKeySealingContext(loggedIn.accountId, role.host.id)) }
  const { user } = role
  const apiKey = user.key_sealed ? openApiKey(tools.box, user.id, user.key_sealed) : (await rotateApiKey(db, tools.box, user.id)).apiKey
  return { ...loggedIn, value: apiKey }
}

/** POST /authn/{account}/{login}/authenticate: an API key (never a password) for an access token. */
export async function authenticateWithApiKey (db: Database, tokens: AccessTokens, accountName: string, rawLogin: string, apiKey: string, now: Date, guard: LoginGuard): Promise<LoggedIn<AccessToken>> {
  const { account, refusal } = await accountNamed(db, accountName, rawLogin)
  const accountId = account?.id ?? NO_ACCOUNT
  const subject = parseLogin(rawLogin)
  if (subject.id === '' || apiKey === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account?.id ?? null })
  const { host, user, counted } = await roleNamed(db, accountId, subject)
  await guard(counted)
  let actor: Actor
  let credential: string
  if (subject.kind === 'host') {
    const verified = verifyHostKey(host?.api_key_hash, apiKey)
    if (refusal) throw new Unauthenticated(undefined, refusal)
    if (!verified) throw new Unauthenticated(undefined, hostRefusal(accountId, subject.id, host !== undefined))
    actor = hostActor(subject.id)
    credential = host!.api_key_accessor
  } else {
    const verified = verifyApiKey(user?.key_hash, apiKey)
    if (refusal) throw new Unauthenticated(undefined, refusal)
    if (!verified || !user?.active) throw new Unauthenticated(undefined, userRefusal(accountId, subject.id, user, verified ? 'disabled' : user?.key_hash ? 'wrong-api-key' : 'no-api-key'))
    actor = { kind: 'user', id: user.id, name: user.name }
    credential = user.key_accessor!
  }
  return { value: tokens.issue(accountId, canonicalLogin(subject), now), accountId, actor, method: 'api-key', credential }
}
