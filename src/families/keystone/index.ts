import type { FastifyInstance } from 'fastify'
import { InvalidInput } from '../../core/errors.js'
import { emptyBodyIsObject, jsonOrNothing } from '../../plugins/http/json-body.js'
import type { TokenFamily } from '../family.js'
import { keystoneKillSwitch } from './kill-switch.js'
import { keystoneDialect, resourceNotFound } from './dialect.js'
import { MAX_REQUEST_BODY_BYTES } from './messages.js'
import tenantRoutes from './tenant-routes.js'
import tokenRoutes from './token-routes.js'
import { rootVersionRoutes, v2VersionRoutes } from './version-routes.js'

/** Everything under /v2.0 answers the Keystone way: headers and body rules (spec §0). */
async function v2 (app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-openstack-request-id', `req-${request.id}`)
    reply.header('vary', 'X-Auth-Token')
    done()
  })
  // Keystone reads an empty body as {} (JsonBodyMiddleware).
  app.addHook('preValidation', emptyBodyIsObject)

  // Keystone accepts a body with no Content-Type as JSON, and refuses any other media type
  // (spec §0.3): text/plain too, which Fastify would otherwise read as a string body.
  app.removeContentTypeParser('text/plain')
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

async function routes (app: FastifyInstance) {
  await app.register(async (root) => {
    root.addHook('onRequest', async (_request, reply) => { reply.header('vary', 'X-Auth-Token') })
    await root.register(rootVersionRoutes)
  })
  await app.register(v2, { prefix: '/v2.0' })
}

/**
 * OpenStack Identity v2.0 (Keystone profile, with Rackspace API-key credentials). `/` is
 * Keystone's version discovery: a wrong method on it, or a request there that Node's parser
 * refuses, answers as Keystone does. Its sessions are the identity core's (plugins/session-credential).
 */
const keystone: TokenFamily = {
  name: 'keystone',
  maxBodyBytes: MAX_REQUEST_BODY_BYTES,
  mount: '',
  routes,
  prefixes: ['/', '/v2.0'],
  dialect: keystoneDialect,
  notFound: resourceNotFound,
  openApi: {
    tags: [{ name: 'identity', description: 'OpenStack Identity v2.0 tokens (Keystone profile, with Rackspace API-key credentials)' }],
    securitySchemes: {
      authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A token from POST /v2.0/tokens' },
      bearer: { type: 'http', scheme: 'bearer', description: 'The same token as a bearer credential' }
    }
  },
  acceptsSessions: true,
  exposedHeaders: ['x-openstack-request-id', 'x-subject-token'],
  credentialHeaders: ['x-auth-token', 'bearer'],
  secretPathSegments: [['v2.0', 'tokens']],
  killSwitch: keystoneKillSwitch
}

export default keystone
