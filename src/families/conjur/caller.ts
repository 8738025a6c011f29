import type { FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import { authenticate } from '../../plugins/auth.js'
import type { Database } from '../../db/database.js'
import { findAccountById, type AccountRow } from '../../db/repositories/accounts.js'
import type { VerifiedAccessToken } from './access-token.js'
import { normaliseCidr, withinRanges } from './cidr.js'
import { accessTokenPrincipal, accessTokensOf, ACCESS_TOKEN_KIND, clientIpOf, verifiedTokenOf } from './credentials.js'
import { MiddlewareRefusal } from './errors.js'
import { findHost, findUserRole, type RoleRef } from './repository.js'

/** Conjur's middleware pattern: anchored at a line start, the literal `Token token="`, a closing quote (spec §A0.2). */
export const TOKEN_HEADER = /^Token token="(.*)"/m

/**
 * onRequest of the routes that need an access token: Conjur's middleware refusals, as
 * text/plain 401s (spec §A0.2). The principal comes from plugins/auth; when that read another
 * header (X-Auth-Token wins there) or another kind, the token is verified here, still without I/O.
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
  const header = request.headers.authorization
  if (typeof header === 'string' && TOKEN_HEADER.test(header)) await accessTokenOf(request)
}

const verified = new WeakMap<FastifyRequest, VerifiedAccessToken>()

async function accessTokenOf (request: FastifyRequest): Promise<VerifiedAccessToken> {
  const known = verified.get(request)
  if (known) return known
  const header = request.headers.authorization
  const match = typeof header === 'string' ? TOKEN_HEADER.exec(header) : null
  if (!match) throw new MiddlewareRefusal('Authorization missing')
  const principal = await authenticate(request)
  let token = principal?.credential.kind === ACCESS_TOKEN_KIND ? verifiedTokenOf(principal) : undefined
  if (!token) {
    const verdict = accessTokensOf(request.server.config).verify(match[1]!, request.server.clock())
    if (typeof verdict === 'string') throw new MiddlewareRefusal(verdict)
    token = verifiedTokenOf(accessTokenPrincipal(verdict))!
  }
  if (token.cidr !== undefined && !withinRanges(clientIpOf(request), validRanges(token.cidr))) throw new MiddlewareRefusal('IP address rejected', 403)
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

/** The role an access token names, as it is now in the database. */
export interface Caller {
  account: AccountRow
  login: string
  role: RoleRef & { isAdmin: boolean }
}

/** The role `login` names on the account now, or undefined when it is gone, disabled or not of the account. */
async function loadCaller (db: Database, accountId: string, login: string): Promise<Caller | undefined> {
  const account = await findAccountById(db, accountId)
  if (!account?.enabled) return undefined
  if (login.startsWith('host/')) {
    const hostId = login.slice('host/'.length)
    if (!await findHost(db, account.id, hostId)) return undefined
    return { account, login, role: { kind: 'host', hostId, isAdmin: false } }
  }
  const user = await findUserRole(db, account.id, login)
  if (!user?.active) return undefined
  return { account, login, role: { kind: 'user', userId: user.id, isAdmin: user.is_admin } }
}

/**
 * The caller's role, as it is now: a token outlives changes, so a role deleted or disabled
 * since, or no longer of the account, is refused with Conjur's empty 403 (spec §A0.2). "Now"
 * is the credential cache's: a change to accounts, users, roles or hosts empties it on every
 * replica (migrations 0008 and 0013), and an entry is re-read after a few seconds regardless.
 */
export async function callerOf (request: FastifyRequest): Promise<Caller> {
  const token = await accessTokenOf(request)
  const { db, credentialCache } = request.server
  const caller = await credentialCache.getOrLoad(`conjur-caller:${token.accountId}/${token.login}`, request.server.clock(), async () => {
    const loaded = await loadCaller(db, token.accountId, token.login)
    // Shared by the requests the cache answers: frozen. The entry lives no longer than the token.
    return loaded && { value: deepFreeze(loaded), expiresAt: token.expiresAt }
  })
  if (!caller) throw new Forbidden()
  return caller
}

function deepFreeze (caller: Caller): Caller {
  Object.freeze(caller.account)
  Object.freeze(caller.role)
  return Object.freeze(caller)
}
