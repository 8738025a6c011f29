/**
 * The domain errors every family throws. Each family renders them in its own API's
 * error dialect (plugins/errors/error-dialect.ts); nothing builds an error body by hand.
 */

import type { Refusal } from './refusal.js'

/** One problem with one input field, e.g. { path: ['auth', 'passwordCredentials'], problem: 'must be object' }. */
export interface FieldProblem {
  path: string[]
  problem: string
}

export abstract class DomainError extends Error {
  abstract readonly statusCode: number
}

export class InvalidInput extends DomainError {
  readonly statusCode = 400
  readonly fields: FieldProblem[]
  /** A finer error type some dialects name, e.g. Rackspace Monitoring's `invalidLimit`. */
  readonly reason: string | undefined

  constructor (message: string, options: { fields?: FieldProblem[], reason?: string } = {}) {
    super(message)
    this.name = 'InvalidInput'
    this.fields = options.fields ?? []
    this.reason = options.reason
  }
}

export class Unauthenticated extends DomainError {
  readonly statusCode = 401
  /** Why, for the audit trail; no dialect renders it. */
  readonly refusal: Refusal | undefined
  constructor (message = 'The request you have made requires authentication.', refusal?: Refusal) {
    super(message)
    this.name = 'Unauthenticated'
    this.refusal = refusal
  }
}

export class Forbidden extends DomainError {
  readonly statusCode = 403
  /** The action that was refused; dialects may name it, never the reason. */
  readonly action: string | undefined
  /** Why, for the audit trail; no dialect renders it. */
  readonly refusal: Refusal | undefined
  constructor (action?: string, message = 'You are not authorized to perform the requested action.', refusal?: Refusal) {
    super(message)
    this.name = 'Forbidden'
    this.action = action
    this.refusal = refusal
  }
}

export class NotFound extends DomainError {
  readonly statusCode = 404
  /** What was looked for, e.g. { type: 'AgentToken', key: '…' }. */
  readonly target: { type: string, key: string } | undefined
  constructor (message: string, target?: { type: string, key: string }) {
    super(message)
    this.name = 'NotFound'
    this.target = target
  }
}

export class Conflict extends DomainError {
  readonly statusCode = 409
  constructor (message: string) {
    super(message)
    this.name = 'Conflict'
  }
}

export class TooLarge extends DomainError {
  readonly statusCode = 413
  constructor (message = 'Request is too large.') {
    super(message)
    this.name = 'TooLarge'
  }
}

/** The request's URL is longer than the server accepts (HTTP 414). */
export class UriTooLong extends DomainError {
  readonly statusCode = 414
  constructor (message = 'The request\'s URL is too long.') {
    super(message)
    this.name = 'UriTooLong'
  }
}

/** The request rate figures of a client, as rate-limit headers show them. */
export interface RateFigures {
  limit: number
  remaining: number
  windowSeconds: number
  resetSeconds: number
}

/**
 * A limit refused the request (HTTP 429 unless a dialect says otherwise): too many failed
 * credentials (`credentials`: Keystone and Conjur answer their plain 401) or too many requests.
 */
export class TooManyAttempts extends DomainError {
  readonly statusCode = 429
  readonly retryAfterSeconds: number
  readonly limit: 'credentials' | 'requests'
  /** The request-rate figures, when the request rate was the limit. */
  readonly figures: RateFigures | undefined
  constructor (limit: 'credentials' | 'requests', retryAfterSeconds: number, figures?: RateFigures) {
    super(limit === 'credentials' ? 'Too many failed attempts; retry later.' : 'Too many requests; retry later.')
    this.name = 'TooManyAttempts'
    this.limit = limit
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds))
    this.figures = figures
  }
}

/** The request's header section is larger than the server reads (HTTP 431). */
export class HeadersTooLarge extends DomainError {
  readonly statusCode = 431
  constructor (message = 'The request\'s headers are too large.') {
    super(message)
    this.name = 'HeadersTooLarge'
  }
}

/** The client did not send its request in time (HTTP 408). */
export class RequestTimeout extends DomainError {
  readonly statusCode = 408
  constructor (message = 'The request was not received in time.') {
    super(message)
    this.name = 'RequestTimeout'
  }
}

export class Unavailable extends DomainError {
  readonly statusCode = 503
  readonly retryAfterSeconds: number
  constructor (message = 'The service is temporarily unavailable.', options: { cause?: unknown, retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause })
    this.name = 'Unavailable'
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5
  }
}

/** Anything unexpected. Rendered with a generic message; the cause is logged, never sent. */
export class InternalFailure extends DomainError {
  readonly statusCode = 500
  constructor (cause: unknown) {
    super('An unexpected error prevented the server from fulfilling your request.', { cause })
    this.name = 'InternalFailure'
  }
}
