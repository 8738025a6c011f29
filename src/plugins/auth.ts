import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthenticated } from '../core/errors.js'
import type { Principal } from '../core/principal.js'
import type { CredentialKind, CredentialScheme } from '../families/family.js'
import { credentialFailed } from './failure-limits.js'
import { denialOf, recordDenial } from './denials.js'

declare module 'fastify' {
  interface FastifyInstance {
    credentialKinds: readonly CredentialKind[]
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i
const CONJUR_TOKEN = /^Token\s+token="([^"]+)"\s*$/i
/** Longer than any credential Tessera issues: refused before any hashing or lookup. */
const MAX_SECRET_LENGTH = 8192

/** The header form and secret a request presents: X-Auth-Token wins over Authorization. */
function presented (request: FastifyRequest): { scheme: CredentialScheme, secret: string } | null {
  const xAuthToken = request.headers['x-auth-token']
  if (typeof xAuthToken === 'string' && xAuthToken.trim() !== '') return { scheme: 'x-auth-token', secret: xAuthToken.trim() }
  const authorization = request.headers.authorization
  if (typeof authorization !== 'string') return null
  const bearer = BEARER.exec(authorization)
  if (bearer) return { scheme: 'bearer', secret: bearer[1]! }
  const token = CONJUR_TOKEN.exec(authorization)
  if (token) return { scheme: 'token', secret: token[1]! }
  return null
}

async function resolvePrincipal (request: FastifyRequest): Promise<Principal | null> {
  const credential = presented(request)
  if (!credential) return refused(request, 'missing-credential')
  const principal = await resolvePresented(request, credential)
  // Only a refused credential is counted (and may be refused as too many): a valid one costs nothing more.
  if (!principal) await credentialFailed(request)
  return principal
}

async function resolvePresented (request: FastifyRequest, credential: { scheme: CredentialScheme, secret: string }): Promise<Principal | null> {
  if (credential.secret.length > MAX_SECRET_LENGTH) return refused(request, 'malformed')
  // Formats do not overlap, so at most one kind is asked: one hash and one lookup at most.
  const kind = request.server.credentialKinds.find((candidate) => candidate.schemes.includes(credential.scheme) && candidate.format.test(credential.secret))
  if (!kind) return refused(request, 'malformed')
  const principal = await kind.resolve(credential.secret, request.server, request)
  // A kind that knows why it refused has said so (recordDenial); the others' secrets are unknown.
  if (!principal && !denialOf(request)) return refused(request, 'unknown', { credential: kind.name })
  return principal
}

/** Nobody: why goes to the audit trail if the request is then refused. */
function refused (request: FastifyRequest, reason: string, details?: Record<string, unknown>): null {
  recordDenial(request, { reason, details })
  return null
}

const principals = new WeakMap<FastifyRequest, Promise<Principal | null>>()
const resolved = new WeakMap<FastifyRequest, Principal>()

/** The caller, whichever header carried their credential; null when none or an invalid one. Memoised per request. */
export function authenticate (request: FastifyRequest): Promise<Principal | null> {
  let principal = principals.get(request)
  if (!principal) {
    principal = resolvePrincipal(request)
    principals.set(request, principal)
    principal.then((caller) => { if (caller) resolved.set(request, caller) }, () => {})
  }
  return principal
}

/**
 * The caller if this request's credential has been resolved already, else null; never starts a
 * lookup, and needs no await (the audit trail reads it as the reply goes out).
 */
export function principalSoFar (request: FastifyRequest): Principal | null {
  return resolved.get(request) ?? null
}

/** onRequest hook for routes that need a caller: 401 (in the family's dialect) without one. */
export async function requireAuthentication (request: FastifyRequest): Promise<void> {
  if (!await authenticate(request)) throw new Unauthenticated()
}

/** The caller of a route guarded by requireAuthentication. */
export async function principalOf (request: FastifyRequest): Promise<Principal> {
  const principal = await authenticate(request)
  if (!principal) throw new Unauthenticated()
  return principal
}

/** The credential kinds every family issues, sessions (the identity core's) among them. */
export default fp(async function auth (app: FastifyInstance, options: { kinds: readonly CredentialKind[] }) {
  app.decorate('credentialKinds', options.kinds)
}, { name: 'auth' })
