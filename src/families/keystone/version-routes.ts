import type { FastifyInstance, FastifyRequest } from 'fastify'
import { baseUrlOf } from '../../plugins/http/base-url.js'
import { errorResponses } from '../../plugins/errors/error-responses.js'
import { KeystoneErrorSchema, VersionSchemaDocument, VersionsSchema } from './schemas.js'

/** The v2.0 entry keystoneauth's discovery accepts: a known status and a `self` link (spec §1, §12.1). */
function versionV2 (request: FastifyRequest) {
  return {
    id: 'v2.0',
    status: 'stable',
    updated: '2014-04-17T00:00:00Z',
    links: [
      { rel: 'self', href: `${baseUrlOf(request)}/v2.0/` },
      { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' }
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v2.0+json' }]
  }
}

/** GET /: 300 Multiple Choices listing v2.0, as Keystone's version discovery. */
export async function rootVersionRoutes (app: FastifyInstance) {
  app.get('/', {
    schema: {
      tags: ['identity'],
      operationId: 'listVersions',
      summary: 'Identity API version discovery (300 Multiple Choices)',
      description: 'Lists v2.0, the one version served, with its `self` link: what keystoneauth reads to find the v2.0 API. No credential needed.',
      security: [],
      response: { 300: VersionsSchema, ...errorResponses(KeystoneErrorSchema, 503) }
    }
  }, async (request, reply) => reply.code(300).send({ versions: { values: [versionV2(request)] } }))
}

/** GET /v2.0: the v2.0 version document. */
export async function v2VersionRoutes (app: FastifyInstance) {
  app.get('/', {
    schema: {
      tags: ['identity'],
      operationId: 'getVersionV2',
      summary: 'The Identity v2.0 version document',
      description: 'The same v2.0 entry as version discovery lists, alone. No credential needed.',
      security: [],
      response: { 200: VersionSchemaDocument, ...errorResponses(KeystoneErrorSchema, 503) }
    }
  }, async (request) => ({ version: versionV2(request) }))
}
