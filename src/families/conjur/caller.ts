import type { FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import type { Actor } from '../../core/refusal.js'
import { recordDenial } from '../../plugins/auth/denials.js'
import { authenticate, presentedCredential } from '../../plugins/auth/auth.js'
import type { Database } from '../../db/database.js'
import { findAccountById, type AccountRow } from '../../db/repositories/accounts.js'
import type { VerifiedAccessToken } from './access-token.js'
import { normaliseCidr, withinRanges } from './cidr.js'
import { rackClientAddressOf } from '../../plugins/http/client-address.js'
import { accessTokenVerdictOf, ACCESS_TOKEN_KIND, verifiedTokenOf } from './credentials.js'
import { MiddlewareRefusal } from './errors.js'
import { callerCacheKey } from './cache-keys.js'
import { findHost, findUserRole, type RoleRef } from './repository.js'

/**
 * onRequest of the routes that need an access token: Conjur's middleware refusals, as
 * text/plain 401s (spec §A0.2), from what plugins/auth made of the `Token token="…"` header.
 */
export async function requireAccessToken (request: FastifyRequest): Promise<void> {
  await accessTokenOf(request)
}

/**
 * onRequest of the /authn routes, where Conjur's middleware makes the token optional (spec §A0.2):
 * no `Token token="…"` header passes, but one that is presented is checked, with the same
 * text/plain refusals.
 */
export async function optionalAccessToken (request: FastifyRequest): Promise<void> {
  if (presentedCredential(request)) await accessTokenOf(request)
}

const verified = new WeakMap<FastifyRequest, VerifiedAccessToken>()

/** The middleware's words for a refused header: what the access-token kind said, else it was no access token at all. */
function middlewareRefusal (request: FastifyRequest): MiddlewareRefusal {
  if (!presentedCredential(request)) return new MiddlewareRefusal('Authorization missing')
  return new MiddlewareRefusal(accessTokenVerdictOf(request) ?? 'Malformed authorization token')
}

/** The request's verified access token (once per request), or the middleware's refusal. */
export async function accessTokenOf (request: FastifyRequest): Promise<VerifiedAccessToken> {
  const known = verified.get(request)
  if (known) return known
  const principal = await authenticate(request)
  const token = principal === null ? undefined : verifiedTokenOf(principal)
  if (!token) {
    // A host factory token is no access token: Conjur's middleware cannot decode one either.
    if (principal) recordDenial(request, { reason: 'malformed', details: { credential: principal.credential.kind } })
    throw middlewareRefusal(request)
  }
  if (token.cidr !== undefined && !withinRanges(rackClientAddressOf(request), validRanges(token.cidr))) {
    recordDenial(request, { reason: 'wrong-origin', accountId: token.accountId, actor: { kind: token.login.startsWith('host/') ? 'host' : 'user', id: null, name: token.login } })
    throw new MiddlewareRefusal('IP address rejected', 403)
  }
  verified.set(request, token)
  return token
}

/** The well-formed entries of a `cidr` claim; a malformed one admits nobody. */
function validRanges (entries: readonly string[]): string[] {
  const ranges = entries.flatMap((entry) => {
    try {
      return [normaliseCidr(entry)]
    } catch {
      return []
    }
  })
  // An empty list would admit everyone: a claim of only bad entries must admit no one.
  return ranges.length === 0 && entries.length > 0 ? ['0.0.0.0/32'] : ranges
}

/**
 * A token issued before its role's credentials were revoked (POST …/revoke-credentials). `iat`
 * has whole seconds, so a token of the revocation's own second is refused too.
 */
function revokedBefore (token: VerifiedAccessToken, notBefore: Date | null): boolean {
  return notBefore !== null && token.issuedAt.getTime() < notBefore.getTime()
}

/** The role an access token names, as it is now in the database. */
export interface Caller {
  account: AccountRow
  login: string
  role: RoleRef & { isAdmin: boolean }
}

/** Why a role is refused: Conjur answers an empty 403 whatever it is; the audit trail keeps the reason. */
interface Refusal {
  reason: string
  actor?: Actor
}

/** A role as the cache keeps it: the caller, and when its access tokens were last revoked. */
interface KnownRole {
  caller: Caller
  actor: Actor
  /** Access tokens issued before this were revoked (the kill switch); null if never. */
  notBefore: Date | null
}

/** The role `login` names on the account now, or why there is none to act as. */
async function loadRole (db: Database, accountId: string, login: string): Promise<KnownRole | Refusal> {
  const account = await findAccountById(db, accountId)
  if (!account?.enabled) return { reason: account ? 'account-disabled' : 'unknown-account' }
  if (login.startsWith('host/')) {
    const hostId = login.slice('host/'.length)
    const host = await findHost(db, account.id, hostId)
    const actor: Actor = { kind: 'host', id: hostId, name: login }
    if (!host) return { reason: 'unknown-host', actor }
    return { caller: { account, login, role: { kind: 'host', hostId, isAdmin: false } }, actor, notBefore: host.access_tokens_not_before }
  }
  const user = await findUserRole(db, account.id, login)
  if (!user) return { reason: 'unknown-user' }
  const actor: Actor = { kind: 'user', id: user.id, name: user.name }
  if (!user.active) return { reason: 'disabled', actor }
  return { caller: { account, login, role: { kind: 'user', userId: user.id, isAdmin: user.is_admin } }, actor, notBefore: user.access_tokens_not_before }
}

/**
 * The caller's role, as it is now: a token outlives changes, so a role deleted or disabled
 * since, or no longer of the account, or whose tokens were revoked, is refused with Conjur's
 * empty 403 (spec §A0.2). "Now" is the credential cache's: a change to accounts, users, roles
 * or hosts empties it on every replica (migrations 0008, 0010 and 0011), and an entry is
 * re-read after a few seconds regardless. Refusals are never cached.
 */
export async function callerOf (request: FastifyRequest): Promise<Caller> {
  const token = await accessTokenOf(request)
  const { db, credentialCache } = request.server
  let refusal: Refusal | undefined
  const known = await credentialCache.getOrLoad(callerCacheKey(token.accountId, token.login), request.server.clock(), async () => {
    const loaded = await loadRole(db, token.accountId, token.login)
    if (!('caller' in loaded)) {
      refusal = loaded
      return undefined
    }
    // Shared by the requests the cache answers: frozen. The entry lives no longer than the token.
    return { value: deepFreeze(loaded), expiresAt: token.expiresAt }
  })
  const refuse = ({ reason, actor }: Refusal) => new Forbidden(undefined, undefined, { reason, accountId: token.accountId, actor, details: { credential: ACCESS_TOKEN_KIND } })
  if (!known) throw refuse(refusal ?? { reason: 'unknown-account' })
  if (revokedBefore(token, known.notBefore)) {
    // Ended by the kill switch: a 401, as every ended credential of every API gets.
    recordDenial(request, { reason: 'revoked', accountId: token.accountId, actor: known.actor, details: { credential: ACCESS_TOKEN_KIND } })
    throw new MiddlewareRefusal('Unauthorized: Invalid token')
  }
  return known.caller
}

function deepFreeze (known: KnownRole): KnownRole {
  Object.freeze(known.caller.account)
  Object.freeze(known.caller.role)
  Object.freeze(known.caller)
  Object.freeze(known.actor)
  return Object.freeze(known)
}
