import type { FastifyBodyParser, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { nestsDeeperThan, TOO_DEEP_PROBLEM } from '../../core/bounded-json.js'
import { InvalidInput } from '../../core/errors.js'

/**
 * Fastify's JSON parser (which refuses `__proto__` and `constructor` keys), except that an
 * empty body is no body: some clients send `Content-Type: application/json` on GET and DELETE
 * with nothing after it. JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed,
 * as invalid JSON in each family's words.
 */
export function jsonOrNothing (app: FastifyInstance): FastifyBodyParser<string> {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  return (request, body, done) => {
    if (body.trim() === '') done(null, undefined)
    else if (nestsDeeperThan(body)) done(new InvalidInput(`The request body ${TOO_DEEP_PROBLEM}.`, { reason: 'invalidJson' }), undefined)
    else parseJson(request, body, done)
  }
}

/**
 * preValidation hook of the APIs that read a missing body as `{}` (Keystone, Monitoring).
 * Only a missing one: a JSON `null` is a body, and not an object.
 */
export function emptyBodyIsObject (request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.body === undefined) request.body = {}
  done()
}

export default fp(async function jsonBody (app: FastifyInstance) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonOrNothing(app))
}, { name: 'json-body' })
