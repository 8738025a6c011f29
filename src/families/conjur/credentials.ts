import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import type { Principal } from '../../core/principal.js'
import { parseSecretKey, sha256 } from '../../core/secrets.js'
import type { CredentialKind } from '../family.js'
import { AccessTokens, type AccessTokenRefusal, type VerifiedAccessToken } from './access-token.js'
import { withinRanges } from './cidr.js'
import { findToken } from './repository.js'
import { CONJUR_SECRET_FORMAT } from './secrets.js'
import { rackClientAddressOf } from '../../plugins/http/client-address.js'
import { recordDenial } from '../../plugins/auth/denials.js'

export const ACCESS_TOKEN_KIND = 'conjur-access-token'
export const HOST_FACTORY_TOKEN_KIND = 'conjur-host-factory-token'

const accessTokens = new WeakMap<Config, AccessTokens>()

/** The app's access-token signer, keyed from TESSERA_SECRET_KEY: the same on every replica. */
export function accessTokensOf (config: Config): AccessTokens {
  let tokens = accessTokens.get(config)
  if (!tokens) {
    const key = config.secretKey === undefined ? null : parseSecretKey(config.secretKey)
    if (!key) throw new Error('the Conjur family needs config.secretKey')
    tokens = new AccessTokens(key)
    accessTokens.set(config, tokens)
  }
  return tokens
}

const verdicts = new WeakMap<FastifyRequest, AccessTokenRefusal>()

/** Why the request's access token was refused, in Conjur's middleware's words; undefined if none was read as one. */
export function accessTokenVerdictOf (request: FastifyRequest): AccessTokenRefusal | undefined {
  return verdicts.get(request)
}

/** The Conjur login an access-token principal stands for. */
const verifiedTokens = new WeakMap<Principal, VerifiedAccessToken>()

export function verifiedTokenOf (principal: Principal): VerifiedAccessToken | undefined {
  return verifiedTokens.get(principal)
}

function accessTokenPrincipal (verified: VerifiedAccessToken): Principal {
  const host = verified.login.startsWith('host/')
  const principal: Principal = {
    kind: host ? 'host' : 'user',
    id: host ? verified.login.slice('host/'.length) : verified.login,
    name: verified.login,
    accountId: verified.accountId,
    // Conjur reads privileges from the database on each request, not from the token.
    roles: [],
    credential: { kind: ACCESS_TOKEN_KIND, id: `${verified.accountId}:${verified.login}:${verified.issuedAt.getTime() / 1000}`, accessor: null, expiresAt: verified.expiresAt }
  }
  verifiedTokens.set(principal, verified)
  return principal
}

/**
 * Conjur access tokens: the base64 of a JSON object, so always `eyJ…`. Verified by signature
 * alone, with no database read (spec §A0.2).
 */
export const accessTokenCredential: CredentialKind = {
  name: ACCESS_TOKEN_KIND,
  schemes: ['token'],
  opens: ['conjur'],
  format: /^eyJ[A-Za-z0-9+/=_-]+$/,
  async resolve (secret: string, app: FastifyInstance, request: FastifyRequest) {
    const verified = accessTokensOf(app.config).verify(secret, app.clock())
    if (typeof verified !== 'string') return accessTokenPrincipal(verified)
    verdicts.set(request, verified)
    recordDenial(request, { reason: verified === 'Unauthorized: Invalid token' ? 'invalid-or-expired' : 'malformed', details: { credential: ACCESS_TOKEN_KIND } })
    return null
  },
  // The token itself needs no database; the role it names is cached (caller.ts callerOf), and
  // ends with its account, user, roles (migrations 0008, 0011), host (0011) or a revocation (0010).
  tables: ['accounts', 'users', 'role_assignments', 'hosts'],
  insertTables: ['role_assignments']
}

/**
 * Raw host factory tokens, good only for POST /host_factories/hosts: one SHA-256 and one
 * indexed read. Unknown, expired and wrong-origin tokens all resolve to nobody (spec §A3).
 */
export const hostFactoryTokenCredential: CredentialKind = {
  name: HOST_FACTORY_TOKEN_KIND,
  schemes: ['token'],
  opens: ['conjur'],
  format: CONJUR_SECRET_FORMAT,
  async resolve (secret: string, app: FastifyInstance, request: FastifyRequest) {
    const hash = sha256(secret)
    const token = await findToken(app.db, hash)
    const refused = (reason: string) => {
      recordDenial(request, { reason, accountId: token?.account_id ?? null, object: token && { type: 'host-factory', id: token.host_factory_id }, details: { credential: HOST_FACTORY_TOKEN_KIND } })
      return null
    }
    if (!token) return refused('unknown')
    if (app.clock().getTime() >= token.expiration.getTime()) return refused('expired')
    if (!withinRanges(rackClientAddressOf(request), token.cidr)) return refused('wrong-origin')
    return {
      kind: 'host_factory',
      id: token.host_factory_id,
      name: token.host_factory_id,
      accountId: token.account_id,
      roles: [],
      credential: { kind: HOST_FACTORY_TOKEN_KIND, id: token.accessor, accessor: token.accessor, expiresAt: token.expiration }
    }
  }
}
