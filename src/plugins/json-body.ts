import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Fastify's JSON parser, except that an empty body is no body: some clients send
 * `Content-Type: application/json` on GET and DELETE with nothing after it.
 */
export default fp(async function jsonBody (app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined)
      return
    }
    parseJson(request, body as string, done)
  })
}, { name: 'json-body' })
