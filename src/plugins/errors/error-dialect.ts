import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  Conflict, DomainError, Forbidden, InternalFailure, InvalidInput, NotFound, TooLarge, Unauthenticated, Unavailable,
  type FieldProblem
} from '../../core/errors.js'
import { UNSTORABLE_TEXT_PROBLEM } from '../../core/storable-text.js'
import { isDatabaseUnavailable, isUnstorableText } from '../../db/errors.js'
import { setCommonHeaders } from '../http/common-headers.js'

/** How one API family writes an error: status, extra headers and body. */
export interface RenderedError {
  statusCode: number
  headers?: Record<string, string>
  body?: unknown
}

export type ErrorDialect = (error: DomainError, request: FastifyRequest) => RenderedError

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

function fieldProblems (errors: AjvError[]): FieldProblem[] {
  return errors.map((error) => {
    const path = error.instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') path.push(error.params.missingProperty)
    if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') path.push(error.params.additionalProperty)
    return { path, problem: error.message ?? 'is invalid' }
  })
}

/**
 * Node's error on a request whose client closed the connection before its body arrived: `aborted`,
 * with the ECONNRESET code of a reset socket (but no socket call), which a database's socket error also has.
 */
function isClientAbort (error: Partial<FastifyError>): boolean {
  return error.code === 'ECONNRESET' && error.message === 'aborted' && !('syscall' in error)
}

/** Turns anything a handler, hook or Fastify itself throws into one of the domain errors. */
export function toDomainError (error: unknown): DomainError {
  if (error instanceof DomainError) return error
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvError[] }
  if (Array.isArray(fastifyError.validation)) {
    const context = fastifyError.validationContext ?? 'request'
    const fields = fieldProblems(fastifyError.validation)
    const first = fields[0]
    const where = [context, ...(first?.path ?? [])].join('/')
    return new InvalidInput(`${where} ${first?.problem ?? 'is invalid'}`, { fields, reason: `invalid-${context}` })
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidInput('The request body is not valid JSON.', { reason: 'invalidJson' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InvalidInput('Content-Type must be application/json.', { reason: 'unsupportedMediaType' })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TooLarge()
  }
  // Nobody reads the reply: what matters is that the log says the client left, not the database.
  if (isClientAbort(fastifyError)) return new InvalidInput('The client closed the connection before sending its whole request.', { reason: 'clientClosed' })
  // The edge refuses such text; a value that slipped past it is still the client's, not a 500.
  if (isUnstorableText(error)) return new InvalidInput(`The request ${UNSTORABLE_TEXT_PROBLEM}.`, { reason: 'unstorableText' })
  if (isDatabaseUnavailable(error)) return new Unavailable('The database is unavailable; try again shortly.', { cause: error })
  // Other client errors Fastify raises (bad Content-Length, malformed parts) keep their class.
  const status = fastifyError.statusCode
  if (status === 400) return new InvalidInput(fastifyError.message ?? 'Bad request.')
  if (status === 401) return new Unauthenticated()
  if (status === 403) return new Forbidden()
  if (status === 404) return new NotFound(fastifyError.message ?? 'Not found.')
  if (status === 409) return new Conflict(fastifyError.message ?? 'Conflict.')
  if (status === 413) return new TooLarge()
  if (status === 503) return new Unavailable(undefined, { cause: error })
  // Anything else a client caused (a malformed URL, an over-long path parameter) is bad input.
  if (status !== undefined && status >= 400 && status < 500) return new InvalidInput(fastifyError.message ?? 'Bad request.')
  return new InternalFailure(error)
}

function send (reply: FastifyReply, rendered: RenderedError): void {
  if (rendered.headers) reply.headers(rendered.headers)
  reply.code(rendered.statusCode)
  if (rendered.body === undefined) reply.send()
  // A dialect may name its own JSON media type (Monitoring writes `charset=UTF-8`).
  else reply.type(rendered.headers?.['content-type'] ?? 'application/json; charset=utf-8').send(rendered.body)
}

function log (request: FastifyRequest, error: DomainError): void {
  if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error }, error.message)
  else request.log.info({ status: error.statusCode, error: error.name, reason: error.message }, 'request refused')
}

/** Builds the 404 of an unknown route in a family's words. */
export type NotFoundMessage = (request: FastifyRequest) => NotFound

/** A dialect and the prefix it owns. */
export interface DialectOwner {
  prefix: string
  dialect: ErrorDialect
  notFound?: NotFoundMessage | undefined
}

/**
 * Which dialect answers under which prefix. Fastify answers some errors before any route or
 * scope is known (a malformed URL, an unknown route, a request Node's parser refuses); these
 * are rendered by the dialect owning the URL's prefix.
 */
export class ErrorDialects {
  readonly #owners: DialectOwner[] = []

  /** `prefix` owns itself and what lies below it; `/` owns only the root path itself. */
  add (prefix: string, dialect: ErrorDialect, notFound?: NotFoundMessage): void {
    this.#owners.push({ prefix, dialect, notFound })
    this.#owners.sort((a, b) => b.prefix.length - a.prefix.length)
  }

  /** The owner of the longest registered prefix that the URL's path starts with. */
  for (url: string): DialectOwner | undefined {
    const path = url.split('?')[0]!.replace(/\/{2,}/g, '/')
    return this.#owners.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`) || prefix === '')
  }
}

/** Renders an error Fastify raised outside any route (its `frameworkErrors` option). */
export function renderFrameworkError (dialects: ErrorDialects, error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const domainError = toDomainError(error)
  const owner = dialects.for(request.url)
  if (!owner) throw new Error('no error dialect is registered for the root')
  log(request, domainError)
  // No hook ran for a request refused before routing, whose route Fastify does not know (its
  // routeOptions are another route's). The error may quote the URL, token and all: never cached.
  setCommonHeaders(request, reply, true)
  send(reply, owner.dialect(domainError, request))
}

/** Makes `dialect` the renderer of errors thrown in this scope (handlers, hooks, validation, body parsing). */
export function renderErrorsWith (scope: FastifyInstance, dialect: ErrorDialect): void {
  scope.setErrorHandler((error, request, reply) => {
    const domainError = toDomainError(error)
    log(request, domainError)
    send(reply, dialect(domainError, request))
  })
}

/**
 * The root's error handler: errors outside any family's scope (an unknown route's hooks and body
 * parser, the probes, the explorer) are rendered by the family owning the URL's path, as
 * framework errors and unknown routes are; Tessera's own dialect owns the rest.
 */
export function renderErrorsByPath (app: FastifyInstance, dialects: ErrorDialects): void {
  renderErrorsWith(app, (error, request) => {
    const owner = dialects.for(request.url)
    if (!owner) throw new Error('no error dialect is registered for the root')
    return owner.dialect(error, request)
  })
}

/**
 * Answers every unknown route in the dialect of the family owning its path (Keystone's `/` and
 * `/v2.0`, Monitoring's `/v1.0`…), with that family's not-found message: one handler, at the root.
 */
export function answerUnknownRoutes (app: FastifyInstance, dialects: ErrorDialects): void {
  app.setNotFoundHandler((request, reply) => {
    const owner = dialects.for(request.url)
    if (!owner) throw new Error('no error dialect is registered for the root')
    const notFound = owner.notFound?.(request) ?? new NotFound(`No route for ${request.method} ${request.url.split('?')[0]}.`)
    send(reply, owner.dialect(notFound, request))
  })
}
