import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidInput } from '../../core/errors.js'
import { principalOf, requireAuthentication } from '../../plugins/auth/auth.js'
import { errorResponses } from '../../plugins/errors/error-responses.js'
import { listTenantsOf } from '../../services/directory.js'
import { KeystoneErrorSchema, TenantListQuerySchema, TenantListSchema } from './schemas.js'

/** Keystone's limit: any integer ≥ 0; no limit means every tenant. */
function parseTenantLimit (raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  if (!/^[0-9]{1,9}$/.test(raw)) throw new InvalidInput('Invalid limit value')
  return Number(raw)
}

const tenantRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/tenants', {
    onRequest: requireAuthentication,
    schema: {
      tags: ['identity'],
      operationId: 'listTenants',
      summary: 'The tenants on which the token\'s user holds a role',
      description: 'Keystone pagination: `marker` is the id of the last tenant of the previous page (exclusive); tenants_links is always empty.',
      security: [{ authToken: [] }],
      querystring: TenantListQuerySchema,
      response: { 200: TenantListSchema, ...errorResponses(KeystoneErrorSchema, 400, 401, 503) }
    }
  }, async (request) => {
    const caller = await principalOf(request)
    const accounts = await listTenantsOf(app.db, caller.id, { marker: request.query.marker, limit: parseTenantLimit(request.query.limit) })
    return {
      tenants: accounts.map((account) => ({ id: account.id, name: account.name, description: null, enabled: account.enabled })),
      tenants_links: []
    }
  })
}

export default tenantRoutes
