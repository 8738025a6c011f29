import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { customAlphabet } from 'nanoid'
import type { RateFigures } from '../../core/errors.js'
import { rateFiguresOf } from '../../plugins/limits/request-rate.js'

/** package.json is two folders above src/ and dist/ alike. */
const VERSION: string = createRequire(import.meta.url)('../../../package.json').version
/** Dots separate the transaction id's fields, so the host name keeps none. */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'tessera'
/** The random `rh-` part of a transaction id: 4 lowercase letters and digits, uniformly drawn. */
const randomWord = customAlphabet('abcdefghijklmnopqrstuvwxyz0123456789', 4)

export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8'

/**
 * Monitoring's own figures (spec §10.2), sent as they are when RATE_LIMIT_MAX is 0: nothing is
 * counted then, so Remaining always equals Limit.
 */
export const RATE_LIMIT = 50000
export const RATE_LIMIT_WINDOW = '24 hours'

/** `24 hours`, `1 minute`, `90 seconds`: a window as Monitoring words it. */
function windowText (seconds: number): string {
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second']
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`
}

/** X-RateLimit-* of real figures: the request rate (`global`) or the failed credentials of a refused client. */
export function rateLimitHeaders (figures: RateFigures, type: string): Record<string, string> {
  return {
    'x-ratelimit-limit': String(figures.limit),
    'x-ratelimit-remaining': String(figures.remaining),
    'x-ratelimit-window': windowText(figures.windowSeconds),
    'x-ratelimit-type': type
  }
}

let counter = 0
const transactionIds = new WeakMap<FastifyRequest, string>()

/**
 * The request's transaction id, `.rh-<4>.h-<host>.r-<request id>.c-<counter>.ts-<epoch ms>.v-<version>`,
 * as Monitoring's X-Response-Id and error `txnId` (spec §10.2, §10.3). Made once per request.
 */
export function transactionIdOf (request: FastifyRequest): string {
  let id = transactionIds.get(request)
  if (id === undefined) {
    id = `.rh-${randomWord()}.h-${HOST}.r-${request.id}.c-${++counter}.ts-${Date.now()}.v-${VERSION}`
    transactionIds.set(request, id)
  }
  return id
}

/**
 * The headers of every Monitoring reply, errors included. JSON replies name their charset in
 * upper case, as Monitoring does (spec §10.2); empty 201/204 replies override it (sendEmpty).
 */
export function monitoringHeaders (request: FastifyRequest): Record<string, string> {
  const figures = rateFiguresOf(request) ?? { limit: RATE_LIMIT, remaining: RATE_LIMIT, windowSeconds: 86400, resetSeconds: 0 }
  return {
    'content-type': JSON_CONTENT_TYPE,
    'x-response-id': transactionIdOf(request),
    ...rateLimitHeaders(figures, 'global'),
    'x-lb': HOST,
    vary: 'Accept-Encoding'
  }
}

/** 201 and 204 carry no body, `Content-Type: text/plain` and `Content-Length: 0` (spec §10.2). */
export function sendEmpty (reply: FastifyReply, statusCode: 201 | 204, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(statusCode).headers(headers).header('content-type', 'text/plain').header('content-length', '0').send()
}
