import type { FastifyInstance } from 'fastify'
import { NO_EXPIRY } from '../../core/notified-cache.js'
import { sha256 } from '../../core/secrets.js'
import { astraTokenCacheKey } from './cache-keys.js'
import { findUserTokenHolder, type UserTokenHolder } from './repository.js'
import { recordDenial } from '../../plugins/auth/denials.js'
import { jsonOrNothing } from '../../plugins/http/json-body.js'
import type { Principal } from '../../core/principal.js'
import type { CredentialKind, TokenFamily } from '../family.js'
import { astraDialect, MAX_BODY_BYTES } from './dialect.js'
import { TOKEN_MEDIA_TYPE } from './resource.js'
import astraGroupRoutes from './group-routes.js'
import { revokeUserTokensOfUser, userTokenCredentials } from './revocation.js'
import { astraKillSwitch } from './kill-switch.js'
import astraRoutes from './routes.js'
import { TOKEN_SECRET_FORMAT } from './tokens.js'
import adminRoutes from './admin-routes.js'
import { astraRetention } from './retention.js'
import { astraMetrics } from './credential-metrics.js'
import { astraTransfer } from './transfer.js'

async function routes (app: FastifyInstance) {
  // Bodies are JSON under either media type (spec §B1); any other is problem 12.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(TOKEN_MEDIA_TYPE, { parseAs: 'string' }, jsonOrNothing(app))
  app.addHook('onRequest', (request, reply, done) => { reply.header('x-correlation-id', request.id); done() })
  await app.register(astraRoutes)
  await app.register(astraGroupRoutes)
}

/**
 * An Astra API token as a bearer credential: base64 of 32 bytes, which no session (64 hex
 * digits) resembles. It acts as its user, with the user's roles on the token's account now.
 */
export const astraTokenCredential: CredentialKind = {
  name: 'astra-token',
  schemes: ['bearer'],
  format: TOKEN_SECRET_FORMAT,
  opens: ['astra'],
  async resolve (secret, app, request) {
    const hash = sha256(secret)
    let refused: UserTokenHolder | undefined
    const principal = await app.credentialCache.getOrLoad(astraTokenCacheKey(hash), app.clock(), async () => {
      const holder = await findUserTokenHolder(app.db, hash)
      if (!holder?.active) {
        refused = holder
        return undefined
      }
      // Shared by the requests the cache answers: frozen.
      const value: Principal = Object.freeze({
        kind: 'user',
        id: holder.user_id,
        name: holder.user_name,
        accountId: holder.account_id,
        roles: Object.freeze(holder.roles),
        credential: Object.freeze({ kind: 'astra-token', id: holder.token_id, accessor: holder.token_id, expiresAt: null })
      })
      // Astra tokens do not expire: the cache's own re-check interval bounds the entry.
      return { value, expiresAt: NO_EXPIRY }
    })
    if (principal) return principal
    // Refused (never cached, so the lookup above ran): the audit trail's reason from the same row.
    recordDenial(request, {
      reason: refused === undefined ? 'unknown' : refused.revoked ? 'revoked' : 'disabled',
      accountId: refused?.account_id ?? null,
      actor: refused && { kind: 'user', id: refused.user_id, name: refused.user_name },
      object: refused && { type: 'astra-token', id: refused.token_id },
      details: { credential: 'astra-token' }
    })
    return null
  },
  // Revoked or deleted (migration 0011 notifies its hash); its user, account or roles changed.
  tables: ['user_tokens', 'users', 'accounts', 'role_assignments'],
  insertTables: ['role_assignments']
}

/** NetApp Astra Control user API tokens under /accounts/{account_id}/core/v1/users/{user_id}/tokens (spec Part B). */
const astra: TokenFamily = {
  name: 'astra',
  maxBodyBytes: MAX_BODY_BYTES,
  mount: '/accounts',
  routes,
  retention: astraRetention,
  credentialMetrics: astraMetrics,
  transfer: astraTransfer,
  adminRoutes,
  prefixes: ['/accounts'],
  dialect: astraDialect,
  openApi: {
    tags: [{ name: 'astra', description: 'NetApp Astra Control user API tokens' }],
    securitySchemes: {
      astraApiToken: { type: 'http', scheme: 'bearer', description: 'An Astra API token (base64 of 32 bytes), or a Tessera session token' }
    }
  },
  credentials: [astraTokenCredential],
  // A session too (X-Auth-Token or Bearer): it is what mints the first Astra token.
  acceptsSessions: true,
  exposedHeaders: ['x-correlation-id'],
  credentialHeaders: ['x-auth-token', 'bearer'],
  // A user's token list, and whether the user is of the account (migration 0012 notifies changes).
  cachedReads: { tables: ['user_tokens', 'users', 'accounts', 'role_assignments'], insertTables: ['user_tokens'] },
  // No secret travels in a path or a query: token ids and continue values are not secrets.
  storedCredentials: [userTokenCredentials],
  revokeUserCredentials: revokeUserTokensOfUser,
  killSwitch: astraKillSwitch
}

export default astra
