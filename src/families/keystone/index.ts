import type { FastifyInstance } from 'fastify'
import { NotFound, InvalidInput } from '../../core/errors.js'
import { renderErrorsWith, useErrorDialect } from '../../plugins/error-dialect.js'
import { emptyBodyIsObject, jsonOrNothing } from '../../plugins/json-body.js'
import { findSession, sessionPrincipal } from '../../services/sessions.js'
import { keystoneDialect } from './dialect.js'
import { MAX_REQUEST_BODY_BYTES } from './messages.js'
import tenantRoutes from './tenant-routes.js'
import tokenRoutes from './token-routes.js'
import { rootVersionRoutes, v2VersionRoutes } from './version-routes.js'

/** Everything under /v2.0 answers the Keystone way: errors, headers, body rules (spec §0). */
async function v2 (app: FastifyInstance) {
  useErrorDialect(app, keystoneDialect, {
    notFound: (request) => new NotFound(`(${request.protocol}://${request.host}${request.url}): The resource could not be found.`)
  })
  app.addHook('onRoute', (route) => { route.bodyLimit ??= MAX_REQUEST_BODY_BYTES })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', `req-${request.id}`)
    reply.header('vary', 'X-Auth-Token')
  })
  // Keystone reads an empty body as {} (JsonBodyMiddleware).
  app.addHook('preValidation', emptyBodyIsObject)

  // Keystone accepts a body with no Content-Type as JSON, and refuses any other media type.
  const parseJson = jsonOrNothing(app)
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body: string, done) => {
    if (request.headers['content-type'] !== undefined && body.length > 0) {
      done(new InvalidInput('Content-Type must be application/json.', { reason: 'unsupportedMediaType' }), undefined)
    } else {
      parseJson(request, body, done)
    }
  })

  await app.register(v2VersionRoutes)
  await app.register(tokenRoutes)
  await app.register(tenantRoutes)
}

/** OpenStack Identity v2.0 (Keystone profile, with Rackspace API-key credentials). */
export default async function keystone (app: FastifyInstance) {
  // Sessions are the token kind of X-Auth-Token (and of Bearer, tried first).
  app.credentials.register('session', async (secret) => {
    const session = await findSession(app.db, secret)
    return session ? sessionPrincipal(session) : null
  })

  await app.register(async (root) => {
    renderErrorsWith(root, keystoneDialect)
    root.addHook('onRequest', async (_request, reply) => { reply.header('vary', 'X-Auth-Token') })
    await root.register(rootVersionRoutes)
  })
  await app.register(v2, { prefix: '/v2.0' })
}
