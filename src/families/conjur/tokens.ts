import { newAccessor } from '../../core/accessors.js'
import { HOST_FACTORY_TOKEN_PREFIX } from './accessors.js'
import { Forbidden } from '../../core/errors.js'
import { NO_EXPIRY, readThrough, type ReadCache } from '../../core/notified-cache.js'
import { sha256, type SecretBox } from '../../core/secrets.js'
import { isStorableInstant } from '../../core/storable-instant.js'
import type { Database } from '../../db/database.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { findAccountById } from '../../db/repositories/accounts.js'
import type { Caller } from './caller.js'
import { InvalidCidr, normaliseCidr } from './cidr.js'
import { argumentError, ConjurNotFound, unprocessable } from './errors.js'
import { formatUtcSeconds, formatWithOffset, parseIso8601 } from './iso8601.js'
import type { Params } from './params.js'
import { factoryCacheKey } from './cache-keys.js'
import * as repo from './repository.js'
import { newConjurSecret, tokenSealingContext } from './secrets.js'

/** A token as Conjur shows it (spec §A1): keys in this order. */
export interface TokenView {
  expiration: string
  cidr: string[]
  token: string
}

/** A token just made: as Conjur shows it, and its accessor (Tessera's, sent beside the body). */
export interface MadeToken {
  view: TokenView
  accessor: string
}

/**
 * Tessera's bound on `count` (Conjur has none): one request may not mint more tokens than
 * this, so a typo cannot fill the database.
 */
export const MAX_TOKENS_PER_REQUEST = 1000

export function tokenView (box: SecretBox, row: repo.TokenRecord): TokenView {
  return {
    expiration: formatUtcSeconds(row.expiration),
    cidr: row.cidr,
    token: box.open(row.token_sealed, tokenSealingContext(row.token_sha256))
  }
}

function given (value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
}

/** Ruby's strict Integer(): whitespace around, a sign, `_` between digits, 0x/0b/0o/0 radix prefixes. */
function strictInteger (value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null
  if (typeof value !== 'string') return null
  const match = /^\s*([+-]?)(?:0[xX]([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)|0[bB]([01]+(?:_[01]+)*)|0[oO]?([0-7]+(?:_[0-7]+)*)|([1-9][0-9]*(?:_[0-9]+)*|0))\s*$/.exec(value)
  if (!match) return null
  const [, sign, hex, binary, octal, decimal] = match
  const [digits, radix] = hex !== undefined ? [hex, 16] : binary !== undefined ? [binary, 2] : octal !== undefined ? [octal, 8] : [decimal!, 10]
  const magnitude = Number.parseInt(digits.replaceAll('_', ''), radix)
  return sign === '-' ? -magnitude : magnitude
}

function parseCount (value: unknown): number {
  if (value === undefined || value === null) return 1
  const count = strictInteger(value)
  if (count === null || count <= 0 || count > MAX_TOKENS_PER_REQUEST) throw argumentError(`Invalid value for parameter 'count': ${given(value)}`)
  return count
}

function parseCidrs (value: unknown): string[] {
  if (value === undefined || value === null) return []
  const entries = Array.isArray(value) ? value : typeof value === 'object' ? Object.values(value) : [value]
  try {
    return entries.map(normaliseCidr)
  } catch (error) {
    if (error instanceof InvalidCidr) throw unprocessable(error.message)
    throw error
  }
}

/**
 * The host factory a resource id names, if the caller can see it (owner, admin, or any
 * privilege); else Conjur's 404 for that id. Other kinds of resource are seen by the account's
 * admins only (they own everything); Tessera has no groups.
 */
export async function visibleResource (db: Database, caller: Caller, fullId: string, reads?: ReadCache): Promise<{ kind: string, factoryId: string, relation: repo.Relation }> {
  const [accountName = '', kind = '', ...rest] = fullId.split(':')
  const identifier = rest.join(':')
  // Names are unique (exact match), so only the caller's own account's name can name it: no read.
  const account = rest.length > 0 && accountName === caller.account.name ? caller.account : undefined
  if (!account || identifier === '') throw new ConjurNotFound(fullId)
  if (kind === 'host_factory') {
    const factory = factoryCacheKey(account.id, identifier)
    const { role } = caller
    const relation = await readThrough(reads, `${factory}#${role.kind === 'user' ? role.userId : `host/${role.hostId}`}#${role.isAdmin}`, async () => {
      const found = await repo.relationTo(db, account.id, identifier, role)
      return found && { value: Object.freeze({ ...found, privileges: Object.freeze(found.privileges) }), expiresAt: NO_EXPIRY }
    }, factory)
    if (!relation || (!relation.owns && relation.privileges.length === 0)) throw new ConjurNotFound(fullId)
    return { kind, factoryId: identifier, relation }
  }
  const exists = kind === 'user'
    ? await repo.findUserRole(db, account.id, identifier) !== undefined
    : kind === 'host'
      ? await repo.findHost(db, account.id, identifier) !== undefined
      : kind === 'layer' && await repo.layerExists(db, account.id, identifier)
  if (!exists || !caller.role.isAdmin) throw new ConjurNotFound(fullId)
  return { kind, factoryId: identifier, relation: { owns: true, privileges: [] } }
}

function allowed (relation: repo.Relation, privilege: repo.Privilege): boolean {
  return relation.owns || relation.privileges.includes(privilege)
}

/**
 * POST /host_factory_tokens, in Conjur's processing order (spec §A1): which error wins matters.
 * The tokens are stored with the audit row `audit(expiration)` makes of each accessor, in one statement. The caller's
 * privilege is read before, outside it (from the read cache when given): a privilege revoked in
 * between is the same race as one revoked just before the request, and a transaction would not
 * close it (it takes no lock).
 */
export async function createTokens (db: Database, box: SecretBox, caller: Caller, params: Params, now: Date, audit: (expiration: string) => (accessor: string) => NewAuditEvent, reads?: ReadCache): Promise<MadeToken[]> {
  const hostFactory = params.host_factory
  if (typeof hostFactory !== 'string' || hostFactory === '') throw argumentError('host_factory')
  const resource = await visibleResource(db, caller, hostFactory, reads)
  if (resource.kind !== 'host_factory') throw argumentError(`Invalid resource kind: ${resource.kind}`)
  if (!allowed(resource.relation, 'execute')) throw new Forbidden()
  if (params.expiration === undefined || params.expiration === null) throw argumentError('expiration')
  const count = parseCount(params.count)
  const expiration = typeof params.expiration === 'string' ? parseIso8601(params.expiration) : null
  if (!expiration) throw argumentError(`Input is invalid ISO8601 datetime string: ${given(params.expiration)}`)
  if (expiration.instant.getTime() <= now.getTime()) {
    throw argumentError(`Value for parameter expiration must be in the future: ${formatWithOffset(expiration)}`)
  }
  // Tessera's own limit: the database stores no later instant on every driver (Conjur has none).
  if (!isStorableInstant(expiration.instant)) {
    throw argumentError(`Value for parameter expiration must be before 10000-01-01T00:00:00+00:00: ${formatWithOffset(expiration)}`)
  }
  const cidr = parseCidrs(params.cidr)
  const secrets = Array.from({ length: count }, () => newConjurSecret())
  const accessors = secrets.map(() => newAccessor(HOST_FACTORY_TOKEN_PREFIX))
  const shownExpiration = formatUtcSeconds(expiration.instant)
  const rows = await repo.insertTokens(db, {
    tokens: secrets.map((secret, index) => {
      const hash = sha256(secret)
      return {
        accessor: accessors[index]!,
        token_sha256: hash,
        token_sealed: box.seal(secret, tokenSealingContext(hash)),
        account_id: caller.account.id,
        host_factory_id: resource.factoryId,
        expiration: expiration.instant
      }
    }),
    cidr,
    createdBy: caller.role.kind === 'user' ? { userId: caller.role.userId } : { hostId: caller.role.hostId },
    audit: accessors.map(audit(shownExpiration))
  })
  return rows.map((row, index) => ({ view: { expiration: formatUtcSeconds(row.expiration), cidr: row.cidr, token: secrets[index]! }, accessor: row.accessor }))
}

/** The not-found of an unknown token: its id is `*:host_factory_token:<token>` (spec §A2). */
export function tokenNotFound (token: string): ConjurNotFound {
  return new ConjurNotFound(`*:host_factory_token:${token}`, token)
}

/** DELETE /host_factory_tokens/{token} (spec §A2): 404, then the factory's visibility, then `update`. The token's accessor. */
export async function revokeToken (db: Database, caller: Caller, token: string): Promise<string> {
  const hash = sha256(token)
  const row = await repo.findToken(db, hash)
  if (!row) throw tokenNotFound(token)
  const account = row.account_id === caller.account.id ? caller.account : await findAccountById(db, row.account_id)
  const factoryId = `${account?.name ?? row.account_id}:host_factory:${row.host_factory_id}`
  const resource = await visibleResource(db, caller, factoryId)
  if (!allowed(resource.relation, 'update')) throw new Forbidden()
  await repo.deleteToken(db, hash)
  return row.accessor
}
