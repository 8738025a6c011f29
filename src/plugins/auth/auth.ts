import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthenticated } from '../../core/errors.js'
import type { Principal } from '../../core/principal.js'
import type { CredentialKind, CredentialScheme, TokenFamily } from '../../families/family.js'
import { credentialFailed } from '../limits/failure-limits.js'
import { denialOf, recordDenial } from './denials.js'

declare module 'fastify' {
  interface FastifyInstance {
    credentialKinds: readonly CredentialKind[]
    /** Each family's credential header forms, by family name (TokenFamily.credentialHeaders). */
    credentialHeaders: ReadonlyMap<string, readonly CredentialScheme[]>
  }
  interface FastifyContextConfig {
    /** The family (TokenFamily.name) whose API the route belongs to: what a credential must open (app.ts sets it). */
    family?: string
  }
}

/**
 * The one parser of credential headers. Every header form, as the original APIs match it:
 * X-Auth-Token is read whole; a bearer token as one word; `Token token="…"` with the original
 * middleware's pattern (spec §A0.2: case-sensitive, quotes required, the text up to the last quote).
 */
const BEARER = /^Bearer\s+(\S+)\s*$/i
const TOKEN_PARAMETER = /^Token token="(.*)"/
const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i
/** Longer than any credential Tessera issues: refused before any hashing or lookup. */
const MAX_SECRET_LENGTH = 8192

/** A credential a request presents in a header, and the header form it came in. */
export interface PresentedCredential {
  scheme: CredentialScheme
  secret: string
}

function inHeader (request: FastifyRequest, scheme: CredentialScheme): string | null {
  if (scheme === 'x-auth-token') {
    const value = request.headers['x-auth-token']
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
  }
  const authorization = request.headers.authorization
  if (typeof authorization !== 'string') return null
  return (scheme === 'bearer' ? BEARER : TOKEN_PARAMETER).exec(authorization)?.[1] ?? null
}

/**
 * The family whose API the request's route belongs to, or undefined (probes, the explorer, unknown
 * routes, a request refused before routing). Read once per authentication: Fastify builds
 * `routeOptions` anew at every access.
 */
function familyOf (request: FastifyRequest): string | undefined {
  return (request.routeOptions as FastifyRequest['routeOptions'] | undefined)?.config.family
}

/**
 * The credential the request presents in a header form its API reads, the first form present
 * winning (X-Auth-Token over Authorization where both are read); null when none.
 */
export function presentedCredential (request: FastifyRequest, family = familyOf(request)): PresentedCredential | null {
  const schemes = family === undefined ? undefined : request.server.credentialHeaders.get(family)
  for (const scheme of schemes ?? []) {
    const secret = inHeader(request, scheme)
    if (secret !== null) return { scheme, secret }
  }
  return null
}

/**
 * Whether the request presents a credential its API would look up: one of a kind this API accepts,
 * well-formed. A route that starts another lookup before authentication asks this first, so a
 * request with no credential, or one that is refused unread, costs no lookup at all.
 */
export function presentsAcceptedCredential (request: FastifyRequest): boolean {
  const family = familyOf(request)
  const credential = presentedCredential(request, family)
  return credential !== null && typeof kindToLookUp(request, credential, family) !== 'string'
}

/**
 * The kind a presented credential is looked up as, or why it is refused unread: longer than any
 * secret Tessera issues, of no kind's format, or minted for another API (which costs no lookup
 * and says nothing of its holder). Formats do not overlap: at most one kind, one hash, one lookup.
 */
function kindToLookUp (request: FastifyRequest, credential: PresentedCredential, family: string | undefined): CredentialKind | 'malformed' | 'wrong-api' {
  if (credential.secret.length > MAX_SECRET_LENGTH) return 'malformed'
  const kind = kindOf(request, credential)
  if (!kind) return 'malformed'
  return family !== undefined && kind.opens.includes(family) ? kind : 'wrong-api'
}

/** HTTP Basic's login and secret (a login by API key); null when the header is missing or malformed, which is a 401. */
export function basicCredentials (request: FastifyRequest): { login: string, secret: string } | null {
  const match = BASIC.exec(String(request.headers.authorization ?? ''))
  if (!match) return null
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  return { login: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}

async function resolvePrincipal (request: FastifyRequest): Promise<Principal | null> {
  const family = familyOf(request)
  const credential = presentedCredential(request, family)
  if (!credential) {
    request.server.metrics.credentialRefused(family, undefined, 'missing-credential')
    return refused(request, 'missing-credential')
  }
  const principal = await resolvePresented(request, credential, family)
  if (principal) request.server.metrics.credentialValidated(family, principal.credential.kind)
  else request.server.metrics.credentialRefused(family, credential.secret.length > MAX_SECRET_LENGTH ? undefined : kindOf(request, credential)?.name, denialOf(request)?.reason)
  // Only a refused credential is counted (and may be refused as too many): a valid one costs nothing more.
  if (!principal) await credentialFailed(request)
  else if (principal.credential.accessor !== null) request.server.credentialUsage.record(principal.credential.accessor, Date.now())
  return principal
}

/** The kind whose format the secret has, if any (formats do not overlap). */
function kindOf (request: FastifyRequest, credential: PresentedCredential): CredentialKind | undefined {
  return request.server.credentialKinds.find((candidate) => candidate.schemes.includes(credential.scheme) && candidate.format.test(credential.secret))
}

async function resolvePresented (request: FastifyRequest, credential: PresentedCredential, family: string | undefined): Promise<Principal | null> {
  const kind = kindToLookUp(request, credential, family)
  if (kind === 'malformed') return refused(request, 'malformed')
  if (kind === 'wrong-api') return refused(request, 'wrong-api', { credential: kindOf(request, credential)!.name })
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

/**
 * The caller, from the credential its route's API reads and accepts; null when none, an invalid
 * one, or one minted for another API. Memoised per request.
 */
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

/** The credential kinds every family issues (sessions, the identity core's, among them), and the headers each API reads. */
export default fp(async function auth (app: FastifyInstance, options: { kinds: readonly CredentialKind[], families: readonly TokenFamily[] }) {
  app.decorate('credentialKinds', options.kinds)
  app.decorate('credentialHeaders', new Map(options.families.map((family) => [family.name, family.credentialHeaders])))
}, { name: 'auth' })
