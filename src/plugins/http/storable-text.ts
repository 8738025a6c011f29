import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InvalidInput } from '../../core/errors.js'
import { findUnstorableText, isStorableText, UNSTORABLE_TEXT_PROBLEM } from '../../core/storable-text.js'

/** The headers any family reads a value from (auth plugin); Node's parser refuses NUL in real ones. */
const HEADERS_READ = ['x-auth-token', 'authorization'] as const

function refuse (context: string, path: string[]): InvalidInput {
  return new InvalidInput(`${[context, ...path].join('/')} ${UNSTORABLE_TEXT_PROBLEM}`, {
    fields: [{ path, problem: UNSTORABLE_TEXT_PROBLEM }],
    reason: 'unstorableText'
  })
}

/** What the URL and headers carry that PostgreSQL cannot store, or null. */
function unstorableInUrlAndHeaders (request: FastifyRequest): InvalidInput | null {
  for (const name of HEADERS_READ) {
    const value = request.headers[name]
    if (typeof value === 'string' && !isStorableText(value)) return refuse('headers', [name])
  }
  const inParams = findUnstorableText(request.params)
  if (inParams) return refuse('params', inParams)
  const inQuery = findUnstorableText(request.query)
  return inQuery ? refuse('querystring', inQuery) : null
}

// Callback-style hooks: they run on every request, and an async hook costs a promise each time.

/** onRequest: what the URL and headers carry, refused before any route hook (auth) reads it. */
function refuseInUrlAndHeaders (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const error = unstorableInUrlAndHeaders(request)
  if (error) done(error)
  else done()
}

/** preValidation: the parsed body, at any depth, keys included. */
function refuseInBody (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const inBody = findUnstorableText(request.body)
  if (inBody) done(refuse('body', inBody))
  else done()
}

/**
 * PostgreSQL text holds neither U+0000 nor an unpaired UTF-16 surrogate (which only a JSON
 * `\udfff` escape can produce): either, in any string a route reads, is bad input. Refused here
 * once for every family, before validation, as InvalidInput for each family's dialect to render;
 * no schema needs a pattern for it. Bodies a family keeps as text (Conjur's) it checks once decoded.
 */
export default fp(async function storableText (app: FastifyInstance) {
  app.addHook('onRequest', refuseInUrlAndHeaders)
  app.addHook('preValidation', refuseInBody)
}, { name: 'storable-text' })
