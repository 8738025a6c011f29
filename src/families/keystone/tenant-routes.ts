import type { FastifyInstance } from 'fastify'
import { InvalidInput } from '../../core/errors.js'
import { toKeysetPage } from '../../core/pagination.js'
import { principalOf, requireAuthentication } from '../../plugins/auth.js'
import { holdsAnyRole, listAccountsWithRoles } from '../../db/repositories/role-assignments.js'
import { KeystoneErrorSchema, TenantListQuerySchema, TenantListSchema } from './schemas.js'

/** Keystone's limit: any integer ≥ 0; no limit means every tenant. */
function parseTenantLimit (raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  if (!/^[0-9]{1,9}$/.test(raw)) throw new InvalidInput('Invalid limit value')
  return Number(raw)
}

export default async function tenantRoutes (app: FastifyInstance) {
  app.get<{ Querystring: { limit?: string, marker?: string } }>('/tenants', {
    onRequest: requireAuthentication,
    schema: {
      tags: ['identity'],
      operationId: 'listTenants',
      summary: 'The tenants on which the token\'s user holds a role',
      description: 'Keystone pagination: `marker` is the id of the last tenant of the previous page (exclusive); tenants_links is always empty.',
      security: [{ authToken: [] }],
      querystring: TenantListQuerySchema,
      response: { 200: TenantListSchema, 400: KeystoneErrorSchema, 401: KeystoneErrorSchema, 503: KeystoneErrorSchema }
    }
  }, async (request) => {
    const caller = await principalOf(request)
    const limit = parseTenantLimit(request.query.limit)
    const { marker } = request.query
    if (marker !== undefined && !await holdsAnyRole(app.db, caller.id, marker)) throw new InvalidInput('Marker could not be found')
    const rows = await listAccountsWithRoles(app.db, caller.id, { after: marker, limit })
    const accounts = limit === undefined ? rows : toKeysetPage(rows, limit).items
    return {
      tenants: accounts.map((account) => ({ id: account.id, name: account.name, description: null, enabled: account.enabled })),
      tenants_links: []
    }
  })
}
