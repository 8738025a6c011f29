import type { FastifyRequest } from 'fastify'
import { Conflict, DomainError, InvalidInput, NotFound, TooManyAttempts, Unavailable } from '../../core/errors.js'
import type { ErrorDialect, RenderedError } from '../../plugins/errors/error-dialect.js'
import { ConjurNotFound, ExplainedUnauthorized, MiddlewareRefusal, NotApplicableForKeyRotation } from './errors.js'

/** The Accept value that switches some error bodies to Conjur's v2 shape (spec §A0.3). */
export const V2_MEDIA_TYPE = 'application/x.secretsmgr.v2beta+json'
const JSON_TYPE = 'application/json; charset=utf-8'

function wantsV2 (request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').toLowerCase().includes(V2_MEDIA_TYPE)
}

function json (statusCode: number, body: unknown, headers: Record<string, string> = {}): RenderedError {
  return { statusCode, headers: { 'content-type': JSON_TYPE, ...headers }, body }
}

/** `{"code":"<status>","message":…}` under the v2 media type, for the handlers that switch. */
function v2 (statusCode: number, message: string): RenderedError {
  return { statusCode, headers: { 'content-type': V2_MEDIA_TYPE }, body: { code: String(statusCode), message } }
}

function notFound (error: NotFound, request: FastifyRequest): RenderedError {
  if (error instanceof ConjurNotFound) {
    const { message, fullId } = error.shown
    if (wantsV2(request)) return v2(404, message)
    return json(404, { error: { code: 'not_found', message, target: error.kind, details: { code: 'not_found', target: 'id', message: fullId } } })
  }
  if (wantsV2(request)) return v2(404, error.message)
  return json(404, { error: { code: 'not_found', message: error.message } })
}

function invalidInput (error: InvalidInput, request: FastifyRequest): RenderedError {
  switch (error.reason) {
    case 'argument_error':
    case 'parameter_missing':
      return json(422, { error: { code: error.reason, message: error.message } })
    case 'unprocessable_entity':
      return wantsV2(request) ? v2(422, error.message) : json(422, { error: { code: 'unprocessable_entity', message: error.message } })
  }
  // Unparseable JSON, a NUL character, a malformed URL: Conjur's body parser answers 400, empty.
  return { statusCode: 400 }
}

/**
 * CyberArk Conjur's errors (spec §A0.3): `{"error":{code, message, …}}` for 404, 405 and 422, empty
 * bodies for the controllers' 401 (but those that explain themselves) and 403 and for 400, text/plain for the middleware's refusals,
 * and the v2 shape for 404, 409 and unprocessable 422 under `Accept: application/x.secretsmgr.v2beta+json`.
 */
export const conjurDialect: ErrorDialect = (error: DomainError, request: FastifyRequest) => {
  if (error instanceof MiddlewareRefusal) return { statusCode: error.statusCode, headers: { 'content-type': 'text/plain' }, body: error.message }
  if (error instanceof ExplainedUnauthorized) return wantsV2(request) ? { statusCode: 401 } : json(401, { error: { code: 'unauthorized', message: error.message } })
  if (error instanceof NotApplicableForKeyRotation) return json(405, { error: { code: 'method_not_allowed', message: error.message } })
  if (error instanceof InvalidInput) return invalidInput(error, request)
  if (error instanceof NotFound) return notFound(error, request)
  if (error instanceof Conflict) return wantsV2(request) ? v2(409, error.message) : json(409, { error: { code: 'conflict', message: error.message } })
  if (error instanceof Unavailable) {
    return json(503, { error: { code: 'service_unavailable', message: error.message } }, { 'retry-after': String(error.retryAfterSeconds) })
  }
  // Too many failed credentials is the authenticators' empty 401, which clients already handle; too many requests a bare 429.
  if (error instanceof TooManyAttempts) return { statusCode: error.limit === 'credentials' ? 401 : 429, headers: { 'retry-after': String(error.retryAfterSeconds) } }
  if (error.statusCode === 401 || error.statusCode === 403) return { statusCode: error.statusCode }
  if (error.statusCode < 500) return { statusCode: error.statusCode }
  return json(500, { error: { code: 'internal_error', message: error.message } })
}
