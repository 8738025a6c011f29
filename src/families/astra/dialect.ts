import { STATUS_CODES } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { Conflict, DomainError, Forbidden, InvalidInput, NotFound, TooManyAttempts, Unauthenticated, Unavailable } from '../../core/errors.js'
import type { ErrorDialect } from '../../plugins/errors/error-dialect.js'

/**
 * NetApp Astra's RFC 7807 problem details (spec §B1): `application/problem+json`, `type`
 * https://astra.netapp.io/problems/N, fixed title and detail, `status` as a string, and the
 * request id as `correlationID` (also the X-Correlation-ID header and the log lines' reqId).
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'
/** The largest request body the family accepts; larger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024

/** The catalogue of §B1: number → [status, title, detail]. */
export const PROBLEMS = {
  1: ['404', 'Resource not found', 'The resource specified in the request URI wasn\'t found.'],
  2: ['404', 'Collection not found', 'The collection specified in the request URI wasn\'t found.'],
  3: ['401', 'Missing bearer token', 'The request is missing the required bearer token.'],
  4: ['401', 'Invalid bearer token', 'The bearer token provided is invalid, revoked, or doesn\'t exist.'],
  5: ['400', 'Invalid query parameters', 'The supplied query parameters are invalid.'],
  6: ['400', 'Query parameters not supported', 'The supplied query parameters aren\'t supported for this endpoint.'],
  7: ['400', 'Invalid JSON payload', 'The request body is not valid JSON.'],
  8: ['400', 'Invalid JSON resource', 'The request body JSON doesn\'t conform to the schema.'],
  9: ['400', 'Invalid JSON resource', 'The request body JSON didn\'t pass extended validation.'],
  10: ['409', 'JSON resource conflict', 'The request body JSON contains a field that conflicts with an idempotent value.'],
  11: ['403', 'Operation not permitted', 'The requested operation isn\'t permitted.'],
  12: ['400', 'Invalid headers', 'The supplied headers are invalid.']
} as const
export type ProblemNumber = keyof typeof PROBLEMS

export const problemType = (number: ProblemNumber) => `https://astra.netapp.io/problems/${number}`

/** Fields a request body got wrong, as `invalidFields` (problems 9 and 10). */
export interface InvalidField {
  name: string
  reason: string
}

/** Problem 9: the body has the schema's shape but a value fails extended validation. */
export class FailedExtendedValidation extends InvalidInput {
  readonly invalidFields: InvalidField[]
  constructor (fields: InvalidField[]) {
    super(fields.map((field) => `${field.name}: ${field.reason}`).join('; '), { reason: 'extendedValidation' })
    this.invalidFields = fields
  }
}

/** Problem 10: the body names a server-owned value (id, userID, createdBy…) other than the stored one. */
export class ServerOwnedConflict extends Conflict {
  readonly invalidFields: InvalidField[]
  constructor (fields: InvalidField[]) {
    super(fields.map((field) => `${field.name}: ${field.reason}`).join('; '))
    this.invalidFields = fields
  }
}

/** 412: an If-Match or If-Unmodified-Since precondition of a PUT does not hold. */
export class PreconditionFailed extends DomainError {
  readonly statusCode = 412
  constructor (message: string) {
    super(message)
    this.name = 'PreconditionFailed'
  }
}

/** A not-found that names its problem: 2 for an unknown account, user or (on GET) token, else 1. */
export class AstraNotFound extends NotFound {
  readonly problem: 1 | 2
  constructor (problem: 1 | 2, message: string, target: { type: string, key: string }) {
    super(message, target)
    this.problem = problem
  }
}

function presentsCredential (request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || request.headers['x-auth-token'] !== undefined
}

function invalidParams (error: InvalidInput): InvalidField[] {
  const seen = new Set<string>()
  const params: InvalidField[] = []
  for (const field of error.fields) {
    const name = field.path[0] ?? 'query'
    const key = `${name}\n${field.problem}`
    if (!seen.has(key)) params.push({ name, reason: field.problem })
    seen.add(key)
  }
  return params.length > 0 ? params : [{ name: 'query', reason: error.message }]
}

type Extra = Record<string, unknown>

function catalogued (error: DomainError, request: FastifyRequest): [ProblemNumber, Extra] | null {
  if (error instanceof Unauthenticated) return [presentsCredential(request) ? 4 : 3, {}]
  if (error instanceof Forbidden) return [11, {}]
  if (error instanceof AstraNotFound) return [error.problem, {}]
  if (error instanceof NotFound) return [1, {}]
  if (error instanceof ServerOwnedConflict) return [10, { invalidFields: error.invalidFields }]
  if (error instanceof FailedExtendedValidation) return [9, { invalidFields: error.invalidFields }]
  if (!(error instanceof InvalidInput)) return null
  switch (error.reason) {
    case 'invalidJson': return [7, {}]
    case 'unsupportedMediaType': return [12, { invalidHeaders: [{ name: 'Content-Type', reason: 'must be application/astra-token+json or application/json' }] }]
    case 'unsupportedQuery': return [6, { invalidParams: invalidParams(error) }]
    case 'invalidQuery':
    case 'invalid-querystring': return [5, { invalidParams: invalidParams(error) }]
    case 'invalid-body': return [8, { schemaValidationFailure: error.message }]
    case 'unstorableText': {
      const [where] = error.message.split('/')
      // U+0000 is a control character, a lone surrogate no character at all: in a body value, the extended validation's problem 9.
      if (where === 'body') return [9, { invalidFields: error.fields.map((field) => ({ name: field.path.join('.') || 'body', reason: field.problem })) }]
      if (where === 'querystring') return [5, { invalidParams: invalidParams(error) }]
      return null
    }
  }
  return null
}

export const astraDialect: ErrorDialect = (error: DomainError, request: FastifyRequest) => {
  const headers: Record<string, string> = { 'content-type': PROBLEM_MEDIA_TYPE, 'x-correlation-id': request.id }
  if (error instanceof Unauthenticated) headers['www-authenticate'] = 'Bearer'
  // Too many attempts falls outside the catalogue: RFC 7807's about:blank 429 (Too Many Requests).
  if (error instanceof Unavailable || error instanceof TooManyAttempts) headers['retry-after'] = String(error.retryAfterSeconds)
  const found = catalogued(error, request)
  if (found) {
    const [number, extra] = found
    const [status, title, detail] = PROBLEMS[number]
    return { statusCode: Number(status), headers, body: { type: problemType(number), title, detail, status, correlationID: request.id, ...extra } }
  }
  // Outside the catalogue: RFC 7807's about:blank, titled from Node's status table. Only client errors say what went wrong.
  const status = error.statusCode
  const detail = status < 500 || error instanceof Unavailable ? error.message : 'An unexpected error prevented the server from fulfilling the request.'
  return {
    statusCode: status,
    headers,
    body: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', detail, status: String(status), correlationID: request.id }
  }
}
