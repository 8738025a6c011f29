import { Unauthenticated } from '../../core/errors.js'
import type { Actor, Refusal } from '../../core/refusal.js'
import type { LoginSubject } from '../../core/failure-limits.js'
import type { LoginGuard } from '../../plugins/failure-limits.js'
import { openApiKey, verifyApiKey, type CredentialTools } from '../../core/credentials.js'
import { constantTimeEqual, sha256 } from '../../core/secrets.js'
import { isStorableText } from '../../core/storable-text.js'
import type { Database } from '../../db/database.js'
import { findAccountByName, type AccountRow } from '../../db/repositories/accounts.js'
import { rotateApiKey } from '../../services/identity.js'
import type { AccessToken, AccessTokens } from './access-token.js'
import { findHost, findUserRole, type UserRole } from './repository.js'
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

/**
 * A login that names nobody, refused once as much work is done as a login of someone real does
 * (`verify`): a login must not tell by its speed which accounts or names exist. Counted against
 * the name, as every failure is against whom it names.
 */
async function refuseNobody (login: string, guard: LoginGuard, verify: () => Promise<unknown>, refusal: Refusal): Promise<never> {
  await guard({ unknownName: parseLogin(login).id })
  await verify()
  throw new Unauthenticated(undefined, { ...refusal, unknownLogin: login })
}

/**
 * The enabled account `name` names, or the refusal of a login that names nobody: after the role
 * lookup a real account's login makes (it finds no one: no account has an empty id) and `verify`.
 */
async function enabledAccount (db: Database, name: string, login: string, guard: LoginGuard, verify: () => Promise<unknown>): Promise<AccountRow> {
  const account = await findAccountByName(db, name)
  if (account?.enabled) return account
  const lookalike = async () => {
    const id = parseLogin(login).id
    if (isStorableText(id)) await findUserRole(db, '', id)
    await verify()
  }
  return refuseNobody(login, guard, lookalike, { reason: account ? 'account-disabled' : 'unknown-account', accountId: account?.id ?? null, details: { account: name } })
}

function verifyHostKey (hash: Uint8Array | undefined, apiKey: string): boolean {
  const matches = constantTimeEqual(Buffer.from(hash ?? Buffer.alloc(32)), sha256(apiKey))
  return hash !== undefined && matches
}

function hostActor (hostId: string): Actor {
  return { kind: 'host', id: hostId, name: `host/${hostId}` }
}

/** Why a host's login was refused (the login is not a secret; the key never appears). */
function hostRefusal (accountId: string, hostId: string, known: boolean): Refusal {
  return { reason: known ? 'wrong-api-key' : 'unknown-host', accountId, actor: hostActor(hostId) }
}

/** A login naming nobody keeps only the fingerprint of the name: it may be a password typed in the wrong field. */
function userRefusal (accountId: string, login: string, user: UserRole | undefined, reason: string): Refusal {
  if (!user) return { reason: 'unknown-user', accountId, unknownLogin: login }
  return { reason, accountId, actor: { kind: 'user', id: user.id, name: user.name } }
}

/** The person a login names, for the failure limits: every name of one user counts as one. */
function subjectOf (accountId: string, subject: { kind: 'host' | 'user', id: string }, user: UserRole | undefined): LoginSubject {
  if (subject.kind === 'host') return { accountId, hostId: subject.id }
  return user ? { userId: user.id } : { unknownName: subject.id }
}

/**
 * GET /authn/{account}/login: HTTP Basic with a password or an API key; answers the role's
 * existing API key. A user key issued before sealed copies existed cannot be shown again: the
 * user gets a new one (and the old one stops working).
 */
export async function login (db: Database, tools: CredentialTools, accountName: string, credentials: { login: string, secret: string }, guard: LoginGuard): Promise<LoggedIn<string>> {
  const account = await enabledAccount(db, accountName, credentials.login, guard, () => tools.passwords.verify(undefined, credentials.secret))
  const subject = parseLogin(credentials.login)
  if (subject.id === '' || credentials.secret === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account.id })
  // HTTP Basic can carry a NUL, which no name in the database holds.
  if (!isStorableText(subject.id)) {
    await refuseNobody(credentials.login, guard, () => tools.passwords.verify(undefined, credentials.secret), { reason: subject.kind === 'host' ? 'unknown-host' : 'unknown-user', accountId: account.id })
  }
  if (subject.kind === 'host') {
    await guard(subjectOf(account.id, subject, undefined))
    const host = await findHost(db, account.id, subject.id)
    if (!verifyHostKey(host?.api_key_hash, credentials.secret)) throw new Unauthenticated(undefined, hostRefusal(account.id, subject.id, host !== undefined))
    return { value: tools.box.open(host!.api_key_sealed, hostKeySealingContext(account.id, host!.id)), accountId: account.id, actor: hostActor(host!.id), method: 'api-key' }
  }
  const user = await findUserRole(db, account.id, subject.id)
  await guard(subjectOf(account.id, subject, user))
  const byKey = verifyApiKey(user?.key_hash, credentials.secret)
  const verified = byKey || await tools.passwords.verify(user?.password_hash, credentials.secret)
  if (!user || !verified || !user.active) throw new Unauthenticated(undefined, userRefusal(account.id, subject.id, user, verified ? 'disabled' : 'wrong-password'))
  const apiKey = user.key_sealed ? openApiKey(tools.box, user.id, user.key_sealed) : await rotateApiKey(db, tools.box, user.id)
  return { value: apiKey, accountId: account.id, actor: { kind: 'user', id: user.id, name: user.name }, method: byKey ? 'api-key' : 'password' }
}

/** POST /authn/{account}/{login}/authenticate: an API key (never a password) for an access token. */
export async function authenticateWithApiKey (db: Database, tokens: AccessTokens, accountName: string, rawLogin: string, apiKey: string, now: Date, guard: LoginGuard): Promise<LoggedIn<AccessToken>> {
  // An API key is one SHA-256: nothing to equal but the lookup.
  const account = await enabledAccount(db, accountName, rawLogin, guard, async () => sha256(apiKey))
  const subject = parseLogin(rawLogin)
  if (subject.id === '' || apiKey === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account.id })
  let actor: Actor
  if (subject.kind === 'host') {
    await guard(subjectOf(account.id, subject, undefined))
    const host = await findHost(db, account.id, subject.id)
    if (!verifyHostKey(host?.api_key_hash, apiKey)) throw new Unauthenticated(undefined, hostRefusal(account.id, subject.id, host !== undefined))
    actor = hostActor(subject.id)
  } else {
    const user = await findUserRole(db, account.id, subject.id)
    await guard(subjectOf(account.id, subject, user))
    const verified = verifyApiKey(user?.key_hash, apiKey)
    if (!verified || !user?.active) throw new Unauthenticated(undefined, userRefusal(account.id, subject.id, user, verified ? 'disabled' : user?.key_hash ? 'wrong-api-key' : 'no-api-key'))
    actor = { kind: 'user', id: user.id, name: user.name }
  }
  return { value: tokens.issue(account.id, canonicalLogin(subject), now), accountId: account.id, actor, method: 'api-key' }
}
