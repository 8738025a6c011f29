import type { FastifyRequest } from 'fastify'
import qs from 'qs'
import { parseBoundedJson } from '../../core/bounded-json.js'
import { InvalidInput } from '../../core/errors.js'
import { findUnstorableText, UNSTORABLE_TEXT_PROBLEM } from '../../core/storable-text.js'

/** Rack's nested parameters: `cidr[]=a&cidr[]=b` is a list, `annotations[k]=v` an object, a repeated plain key keeps its last value. */
const QS_OPTIONS: qs.IParseOptions = { depth: 2, arrayLimit: 1000, parameterLimit: 1000, allowPrototypes: false, allowDots: false, duplicates: 'last' }

export type Params = Record<string, unknown>

function mediaType (request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

/** The raw body the family's catch-all parser keeps: a string, or undefined without a body. */
export function rawBody (request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : ''
}

function bodyParams (request: FastifyRequest): Params {
  const body = rawBody(request)
  if (body === '') return {}
  const type = mediaType(request)
  if (type === '' || type === 'application/x-www-form-urlencoded') return qs.parse(body, QS_OPTIONS)
  if (type !== 'application/json') return {}
  let parsed: unknown
  try {
    parsed = parseBoundedJson(body)
  } catch {
    throw new InvalidInput('The request body is not valid JSON.', { reason: 'invalidJson' })
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : {}
}

/**
 * A request's parameters as Conjur's BodyParser merges them (spec §A0.4): the query string, then
 * the body, which wins. The body counts when it is form-encoded, JSON, or has no Content-Type;
 * any other media type is ignored. Unparseable JSON is a 400, and so is text PostgreSQL cannot
 * store (`%00`, a JSON `\udfff`), in a value or a key: the edge check sees only the raw body.
 */
export function conjurParams (request: FastifyRequest): Params {
  const queryIndex = request.url.indexOf('?')
  const query = queryIndex === -1 ? {} : qs.parse(request.url.slice(queryIndex + 1), QS_OPTIONS)
  const params = { ...query, ...bodyParams(request) }
  const unstorable = findUnstorableText(params)
  if (unstorable) {
    throw new InvalidInput(`params/${unstorable.join('/')} ${UNSTORABLE_TEXT_PROBLEM}`, { fields: [{ path: unstorable, problem: UNSTORABLE_TEXT_PROBLEM }] })
  }
  return params
}
