import { Type } from 'typebox'
import { DomainError, TooManyAttempts, Unavailable } from '../../core/errors.js'
import type { ErrorDialect } from './error-dialect.js'

/** Tessera's own routes answer errors as `{ statusCode, code, message }`, like Fastify's. */
export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer({ examples: [404] }),
  code: Type.String({ examples: ['TESSERA_NOT_FOUND'] }),
  message: Type.String({ examples: ['account 123 does not exist'] })
}, { description: 'Error body of Tessera\'s own routes.' })

const CODES: Record<number, string> = {
  400: 'TESSERA_INVALID_INPUT',
  401: 'TESSERA_UNAUTHENTICATED',
  403: 'TESSERA_FORBIDDEN',
  404: 'TESSERA_NOT_FOUND',
  408: 'TESSERA_REQUEST_TIMEOUT',
  409: 'TESSERA_CONFLICT',
  413: 'TESSERA_TOO_LARGE',
  414: 'TESSERA_URI_TOO_LONG',
  429: 'TESSERA_TOO_MANY_REQUESTS',
  431: 'TESSERA_HEADERS_TOO_LARGE',
  500: 'TESSERA_INTERNAL',
  503: 'TESSERA_UNAVAILABLE'
}

export const defaultDialect: ErrorDialect = (error: DomainError) => {
  const headers: Record<string, string> = {}
  if (error.statusCode === 401) headers['www-authenticate'] = 'Bearer realm="tessera"'
  if (error instanceof Unavailable || error instanceof TooManyAttempts) headers['retry-after'] = String(error.retryAfterSeconds)
  return {
    statusCode: error.statusCode,
    headers,
    body: { statusCode: error.statusCode, code: CODES[error.statusCode] ?? 'TESSERA_ERROR', message: error.message }
  }
}
