import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthenticated } from '../core/errors.js'
import type { CredentialKind, Principal } from '../core/principal.js'

/** Finds the principal a secret of one credential kind stands for, or null. */
export type CredentialResolver = (secret: string, request: FastifyRequest) => Promise<Principal | null>

declare module 'fastify' {
  interface FastifyInstance {
    credentials: CredentialResolvers
  }
}

/** The token kinds the families plug in; shared by every scope of the app. */
export class CredentialResolvers {
  readonly #resolvers = new Map<CredentialKind, CredentialResolver>()

  register (kind: CredentialKind, resolver: CredentialResolver): void {
    if (this.#resolvers.has(kind)) throw new Error(`credential kind ${kind} is already registered`)
    this.#resolvers.set(kind, resolver)
  }

  resolve (kind: CredentialKind, secret: string, request: FastifyRequest): Promise<Principal | null> {
    return this.#resolvers.get(kind)?.(secret, request) ?? Promise.resolve(null)
  }
}

interface PresentedCredential {
  secret: string
  /** The kinds this header can carry, tried in order. */
  kinds: CredentialKind[]
}

const BEARER = /^Bearer\s+(\S+)\s*$/i
const CONJUR_TOKEN = /^Token\s+token="([^"]+)"\s*$/i
/** Longer than any token we issue; refuses oversized headers before any hashing or lookup. */
const MAX_SECRET_LENGTH = 8192

/** The header dialects: Keystone/Rackspace, Astra (and sessions as bearer tokens), Conjur. */
function presentedCredential (request: FastifyRequest): PresentedCredential | null {
  const xAuthToken = request.headers['x-auth-token']
  if (typeof xAuthToken === 'string' && xAuthToken.trim() !== '') return { secret: xAuthToken.trim(), kinds: ['session'] }
  const authorization = request.headers.authorization
  if (typeof authorization !== 'string') return null
  const bearer = BEARER.exec(authorization)
  if (bearer) return { secret: bearer[1]!, kinds: ['session', 'user-api-token'] }
  const conjur = CONJUR_TOKEN.exec(authorization)
  if (conjur) return { secret: conjur[1]!, kinds: ['conjur-access-token'] }
  return null
}

const principals = new WeakMap<FastifyRequest, Promise<Principal | null>>()

async function resolvePrincipal (request: FastifyRequest): Promise<Principal | null> {
  const presented = presentedCredential(request)
  if (!presented || presented.secret.length > MAX_SECRET_LENGTH) return null
  for (const kind of presented.kinds) {
    const principal = await request.server.credentials.resolve(kind, presented.secret, request)
    if (principal) return principal
  }
  return null
}

/** The caller, whichever header carried their credential; null when none or an invalid one. Memoised per request. */
export function authenticate (request: FastifyRequest): Promise<Principal | null> {
  let principal = principals.get(request)
  if (!principal) {
    principal = resolvePrincipal(request)
    principals.set(request, principal)
  }
  return principal
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

export default fp(async function auth (app: FastifyInstance) {
  app.decorate('credentials', new CredentialResolvers())
}, { name: 'auth' })
