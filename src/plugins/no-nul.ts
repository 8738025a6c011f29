import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InvalidInput } from '../core/errors.js'

const NUL = '\u0000'
const PROBLEM = 'must not contain the NUL character (U+0000)'
/** The headers any family reads a value from (auth plugin); Node's parser refuses NUL in real ones. */
const HEADERS_READ = ['x-auth-token', 'authorization'] as const

/** A step of the walk: the value, and how it was reached (a key and its parent step). */
interface Step {
  value: unknown
  key: string
  parent: Step | undefined
}

function pathOf (step: Step): string[] {
  const path: string[] = []
  for (let at: Step | undefined = step; at?.parent; at = at.parent) path.unshift(at.key)
  return path
}

/**
 * The path to the first string or object key holding a NUL, or null. Iterative: a JSON body
 * may nest deeper than the call stack goes.
 */
function findNul (root: unknown): string[] | null {
  if (typeof root === 'string') return root.includes(NUL) ? [] : null
  if (typeof root !== 'object' || root === null) return null
  const pending: Step[] = [{ value: root, key: '', parent: undefined }]
  for (let step = pending.pop(); step; step = pending.pop()) {
    const { value } = step
    if (typeof value === 'string') {
      if (value.includes(NUL)) return pathOf(step)
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        const child = { value: (value as Record<string, unknown>)[key], key, parent: step }
        if (key.includes(NUL)) return pathOf(child)
        pending.push(child)
      }
    }
  }
  return null
}

function refuse (context: string, path: string[]): InvalidInput {
  return new InvalidInput(`${[context, ...path].join('/')} ${PROBLEM}`, { fields: [{ path, problem: PROBLEM }], reason: 'nulCharacter' })
}

/** What the URL and headers carry that holds a NUL, or null. */
function nulInUrlAndHeaders (request: FastifyRequest): InvalidInput | null {
  for (const name of HEADERS_READ) {
    const value = request.headers[name]
    if (typeof value === 'string' && value.includes(NUL)) return refuse('headers', [name])
  }
  const inParams = findNul(request.params)
  if (inParams) return refuse('params', inParams)
  const inQuery = findNul(request.query)
  return inQuery ? refuse('querystring', inQuery) : null
}

// Callback-style hooks: they run on every request, and an async hook costs a promise each time.

/** onRequest: what the URL and headers carry, refused before any route hook (auth) reads it. */
function refuseNulInUrlAndHeaders (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const error = nulInUrlAndHeaders(request)
  if (error) done(error)
  else done()
}

/** preValidation: the parsed body, at any depth, keys included. */
function refuseNulInBody (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const inBody = findNul(request.body)
  if (inBody) done(refuse('body', inBody))
  else done()
}

/**
 * PostgreSQL text cannot hold U+0000 (`invalid byte sequence for encoding "UTF8": 0x00`): a NUL
 * in any string a route reads is bad input. Refused here once for every family, before
 * validation, as InvalidInput for each family's dialect to render; no schema needs a pattern for it.
 */
export default fp(async function noNul (app: FastifyInstance) {
  app.addHook('onRequest', refuseNulInUrlAndHeaders)
  app.addHook('preValidation', refuseNulInBody)
}, { name: 'no-nul' })
