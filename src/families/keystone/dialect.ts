import type { FastifyRequest } from 'fastify'
import { DomainError, Forbidden, InvalidInput, NotFound, TooManyAttempts, Unavailable } from '../../core/errors.js'
import { baseUrlOf } from '../../plugins/http/base-url.js'
import type { ErrorDialect } from '../../plugins/errors/error-dialect.js'
import { expecting, FORBIDDEN, TOO_LARGE, UNAUTHORIZED, UNEXPECTED } from './messages.js'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

/** Schema failures read like Keystone's ValidationError: the missing attribute and where it belongs. */
function invalidInputMessage (error: InvalidInput): string {
  if (error.reason === 'invalidJson') return expecting('valid JSON', 'request body')
  if (error.reason === 'unsupportedMediaType') return expecting('application/json', 'Content-Type header')
  if (error.reason === 'invalid-body') {
    const path = error.fields[0]?.path ?? []
    if (path.length === 0) return expecting('valid JSON object', 'request body')
    return expecting(path.at(-1)!, path.length > 1 ? path.at(-2)! : 'request body')
  }
  return error.message
}

/** Too many failed credentials is Keystone's plain 401: the caller learns only when to retry. */
function statusOf (error: DomainError): number {
  return error instanceof TooManyAttempts && error.limit === 'credentials' ? 401 : error.statusCode
}

/** 401 and 403 are security errors: the body never says why (Keystone with insecure_debug off). */
function message (error: DomainError): string {
  if (error instanceof InvalidInput) return invalidInputMessage(error)
  if (statusOf(error) === 401) return UNAUTHORIZED
  if (error instanceof Forbidden) return error.action ? `${FORBIDDEN.slice(0, -1)}: ${error.action}.` : FORBIDDEN
  if (error.statusCode === 413) return TOO_LARGE
  if (error.statusCode >= 500 && !(error instanceof Unavailable)) return UNEXPECTED
  return error.message
}

/** `{"error": {"message", "code", "title"}}`, with `WWW-Authenticate: Keystone uri=…` on 401 (spec §0.2). */
export const keystoneDialect: ErrorDialect = (error: DomainError, request: FastifyRequest) => {
  // Also set by the family's hooks; repeated here for errors raised before any hook ran.
  const headers: Record<string, string> = { vary: 'X-Auth-Token', 'x-openstack-request-id': `req-${request.id}` }
  const status = statusOf(error)
  if (status === 401) headers['www-authenticate'] = `Keystone uri="${baseUrlOf(request)}"`
  if (error instanceof Unavailable || error instanceof TooManyAttempts) headers['retry-after'] = String(error.retryAfterSeconds)
  return {
    statusCode: status,
    headers,
    body: { error: { message: message(error), code: status, title: TITLES[status] ?? 'Error' } }
  }
}

/** An unknown route or a wrong method: 404 naming the full URL, as Keystone's router (spec §0.5). */
export function resourceNotFound (request: FastifyRequest): NotFound {
  return new NotFound(`(${request.protocol}://${request.host}${request.url}): The resource could not be found.`)
}
