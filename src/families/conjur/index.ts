import type { FastifyInstance } from 'fastify'
import type { TokenFamily } from '../family.js'
import { conjurKillSwitch } from './kill-switch.js'
import { accessTokenCredential, hostFactoryTokenCredential } from './credentials.js'
import { conjurDialect } from './dialect.js'
import resourceListRoutes from './resource-list-routes.js'
import { hostApiKeyCredentials, hostFactoryTokenCredentials, revokeConjurCredentialsOfUser } from './revocation.js'
import conjurRoutes from './routes.js'
import adminRoutes from './admin-routes.js'
import { conjurRetention } from './retention.js'
import { conjurMetrics } from './credential-metrics.js'
import { conjurTransfer } from './transfer.js'

/** Parameters are a few short strings; nothing here needs more. */
const MAX_BODY_BYTES = 64 * 1024

async function routes (app: FastifyInstance) {
  // Bodies are kept as text and read per route (spec §A0.4): form, JSON or no Content-Type for
  // parameters, the raw API key for authenticate; any other media type is ignored, not refused.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  await app.register(conjurRoutes)
  await app.register(resourceListRoutes)
}

/**
 * CyberArk Conjur's host factory API (spec conjur-astra.md Part A): /authn login and
 * authenticate, host factory tokens, host enrolment and the host factory resource. It issues
 * two credentials on `Authorization: Token token="…"`, told apart by format: access tokens
 * (base64 JSON, verified by signature) and raw host factory tokens (Crockford base32).
 */
const conjur: TokenFamily = {
  name: 'conjur',
  maxBodyBytes: MAX_BODY_BYTES,
  mount: '',
  routes,
  retention: conjurRetention,
  credentialMetrics: conjurMetrics,
  transfer: conjurTransfer,
  adminRoutes,
  prefixes: ['/authn', '/host_factory_tokens', '/host_factories', '/resources', '/whoami'],
  dialect: conjurDialect,
  openApi: {
    tags: [{ name: 'conjur', description: 'CyberArk Conjur host factories: authentication, host factory tokens, host enrolment' }],
    securitySchemes: {
      conjurAccessToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token token="<base64 of the access token JSON>"` from POST /authn/{account}/{login}/authenticate' },
      conjurHostFactoryToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token token="<host factory token>"` (quotes required)' },
      conjurBasic: { type: 'http', scheme: 'basic', description: 'A user name (or `host/<id>`) and a password or API key' }
    }
  },
  credentials: [accessTokenCredential, hostFactoryTokenCredential],
  // Conjur reads only `Authorization: Token token="…"` (spec §A0.2), never X-Auth-Token.
  credentialHeaders: ['token'],
  // DELETE /host_factory_tokens/<token> carries the token in its path.
  secretPathSegments: [['host_factory_tokens']],
  // Layers' members decide what a host factory token enrols into, and no trigger announces them.
  primaryOnlyTables: ['layers', 'layer_hosts'],
  // GET /resources of a host factory, and who may see it (migration 0012 notifies changes; the
  // deletes of hosts, layers, users and accounts cascade to the factories' tables). New tokens
  // forget only their factory's view (repository.insertTokens reports it), so issuing keeps the rest.
  cachedReads: {
    tables: ['host_factories', 'host_factory_layers', 'host_factory_permissions', 'host_factory_tokens', 'hosts', 'layers', 'users', 'accounts'],
    insertTables: ['host_factory_layers', 'host_factory_permissions']
  },
  storedCredentials: [hostFactoryTokenCredentials, hostApiKeyCredentials],
  revokeUserCredentials: revokeConjurCredentialsOfUser,
  killSwitch: conjurKillSwitch
}

export default conjur
