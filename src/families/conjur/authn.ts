import { Unauthenticated } from '../../core/errors.js'
import type { Refusal } from '../../core/refusal.js'
import { openApiKey, verifyApiKey, type CredentialTools } from '../../core/credentials.js'
import { constantTimeEqual, sha256 } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { findAccountByName, type AccountRow } from '../../db/repositories/accounts.js'
import { rotateApiKey } from '../../services/identity.js'
import type { AccessToken, AccessTokens } from './access-token.js'
import { findHost, findUserRole, type UserRole } from './repository.js'
import { hostKeySealingContext } from './secrets.js'

/**
 * Conjur's API-key authenticator (spec §A6) over Tessera's identities: `{account}` is an
 * account name, a user logs in by name (with a password or API key), a host as `host/<id>`
 * (with its API key). Every failure is the same 401.
 */

async function enabledAccount (db: Database, name: string): Promise<AccountRow> {
  const account = await findAccountByName(db, name)
  if (!account?.enabled) throw new Unauthenticated(undefined, { reason: account ? 'account-disabled' : 'unknown-account', accountId: account?.id ?? null, details: { account: name } })
  return account
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

function verifyHostKey (hash: Uint8Array | undefined, apiKey: string): boolean {
  const matches = constantTimeEqual(Buffer.from(hash ?? Buffer.alloc(32)), sha256(apiKey))
  return hash !== undefined && matches
}

/** Why a host's login was refused (the login is not a secret; the key never appears). */
function hostRefusal (accountId: string, hostId: string, known: boolean): Refusal {
  return { reason: known ? 'wrong-api-key' : 'unknown-host', accountId, actor: { kind: 'host', id: hostId, name: `host/${hostId}` } }
}

function userRefusal (accountId: string, login: string, user: UserRole | undefined, reason: string): Refusal {
  if (!user) return { reason: 'unknown-user', accountId, details: { login } }
  return { reason, accountId, actor: { kind: 'user', id: user.id, name: user.name } }
}

/**
 * GET /authn/{account}/login: HTTP Basic with a password or an API key; answers the role's
 * existing API key. A user key issued before sealed copies existed cannot be shown again: the
 * user gets a new one (and the old one stops working).
 */
export async function login (db: Database, tools: CredentialTools, accountName: string, credentials: { login: string, secret: string }): Promise<string> {
  const account = await enabledAccount(db, accountName)
  const subject = parseLogin(credentials.login)
  if (subject.id === '' || credentials.secret === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account.id })
  if (subject.kind === 'host') {
    const host = await findHost(db, account.id, subject.id)
    if (!verifyHostKey(host?.api_key_hash, credentials.secret)) throw new Unauthenticated(undefined, hostRefusal(account.id, subject.id, host !== undefined))
    return tools.box.open(host!.api_key_sealed, hostKeySealingContext(account.id, host!.id))
  }
  const user = await findUserRole(db, account.id, subject.id)
  const byKey = verifyApiKey(user?.key_hash, credentials.secret)
  const verified = byKey || await tools.passwords.verify(user?.password_hash, credentials.secret)
  if (!user || !verified || !user.active) throw new Unauthenticated(undefined, userRefusal(account.id, subject.id, user, verified ? 'disabled' : 'wrong-password'))
  if (user.key_sealed) return openApiKey(tools.box, user.id, user.key_sealed)
  return rotateApiKey(db, tools.box, user.id)
}

/** POST /authn/{account}/{login}/authenticate: an API key (never a password) for an access token. */
export async function authenticateWithApiKey (db: Database, tokens: AccessTokens, accountName: string, rawLogin: string, apiKey: string, now: Date): Promise<AccessToken> {
  const account = await enabledAccount(db, accountName)
  const subject = parseLogin(rawLogin)
  if (subject.id === '' || apiKey === '') throw new Unauthenticated(undefined, { reason: 'missing-credential', accountId: account.id })
  if (subject.kind === 'host') {
    const host = await findHost(db, account.id, subject.id)
    if (!verifyHostKey(host?.api_key_hash, apiKey)) throw new Unauthenticated(undefined, hostRefusal(account.id, subject.id, host !== undefined))
  } else {
    const user = await findUserRole(db, account.id, subject.id)
    const verified = verifyApiKey(user?.key_hash, apiKey)
    if (!verified || !user?.active) throw new Unauthenticated(undefined, userRefusal(account.id, subject.id, user, verified ? 'disabled' : user?.key_hash ? 'wrong-api-key' : 'no-api-key'))
  }
  return tokens.issue(account.id, canonicalLogin(subject), now)
}
