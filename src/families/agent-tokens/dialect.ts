import type { FastifyRequest } from 'fastify'
import { DomainError, InvalidInput, NotFound, TooManyAttempts, Unavailable } from '../../core/errors.js'
import type { ErrorDialect } from '../../plugins/errors/error-dialect.js'
import { monitoringHeaders, rateLimitHeaders, transactionIdOf } from './response-headers.js'

/** The largest request body the family accepts; larger ones get 413 `requestTooLargeError`. */
export const MAX_BODY_BYTES = 64 * 1024

interface MonitoringError {
  type: string
  code: number
  message: string
  details: string
}

/** Bad input: `invalidLimit` for page sizes, else `badRequest` naming the key, as MIMIC words it (spec §10.3). */
function invalidInput (error: InvalidInput): MonitoringError {
  const field = error.fields[0]
  const key = field?.path.join('.') ?? ''
  if (error.reason === 'invalidLimit' || (error.reason === 'invalid-querystring' && key === 'limit')) {
    return { type: 'invalidLimit', code: 400, message: 'Invalid limit', details: 'limit must be an integer between 1 and 1000' }
  }
  if (error.reason === 'invalidJson') return { type: 'badRequest', code: 400, message: 'Invalid JSON', details: 'The request body is not valid JSON.' }
  if (error.reason === 'unsupportedMediaType') {
    return { type: 'badRequest', code: 400, message: 'Unsupported media type', details: 'Content-Type must be application/json.' }
  }
  if (error.reason === 'invalid-body' && key === '') {
    return { type: 'badRequest', code: 400, message: 'Validation error', details: 'The request body must be a JSON object.' }
  }
  if (key !== '') return { type: 'badRequest', code: 400, message: `Validation error for key '${key}'`, details: `${key} ${field!.problem}` }
  return { type: 'badRequest', code: 400, message: 'Validation error', details: error.message }
}

function describeError (error: DomainError): MonitoringError {
  if (error instanceof InvalidInput) return invalidInput(error)
  if (error instanceof NotFound) {
    const details = error.target
      ? `Object "${error.target.type}" with key "${error.target.key}" does not exist`
      : 'The requested resource does not exist'
    return { type: 'notFoundError', code: 404, message: 'Object does not exist', details }
  }
  switch (error.statusCode) {
    case 401: return { type: 'unauthorizedError', code: 401, message: 'Unauthorized', details: 'A valid X-Auth-Token is required.' }
    case 403: return { type: 'forbiddenError', code: 403, message: 'Forbidden', details: 'The token does not grant the admin role on this tenant.' }
    case 413: return { type: 'requestTooLargeError', code: 413, message: 'Request too large', details: `The request body must not exceed ${MAX_BODY_BYTES} bytes.` }
    case 431: return { type: 'requestTooLargeError', code: 431, message: 'Request headers too large', details: error.message }
    case 429: return { type: 'rateLimitReached', code: 429, message: 'Rate limit reached', details: error.message }
    case 503: return { type: 'systemFailureError', code: 503, message: 'Service unavailable', details: error.message }
  }
  // Any other client error (a request timeout) keeps its status.
  if (error.statusCode < 500) return { type: 'badRequest', code: error.statusCode, message: 'Bad request', details: error.message }
  return { type: 'internalError', code: 500, message: 'Internal error', details: 'An unexpected error prevented the server from fulfilling the request.' }
}

/**
 * Rackspace Cloud Monitoring's flat error body `{type, code, message, details, txnId}` with an
 * integer code, and the transaction id in X-Response-Id too (spec §10.3). Only a missing,
 * invalid or expired token is 401: fog re-authenticates on 401 and retries once.
 */
export const monitoringDialect: ErrorDialect = (error: DomainError, request: FastifyRequest) => {
  const body = describeError(error)
  const headers = monitoringHeaders(request)
  if (error instanceof Unavailable) headers['retry-after'] = String(error.retryAfterSeconds)
  if (error instanceof TooManyAttempts) {
    headers['retry-after'] = String(error.retryAfterSeconds)
    // The figures of the limit that refused: the request rate, or the failed credentials.
    if (error.figures) Object.assign(headers, rateLimitHeaders(error.figures, error.limit === 'requests' ? 'global' : 'authentication'))
  }
  return { statusCode: body.code, headers, body: { ...body, txnId: transactionIdOf(request) } }
}
