import type { FastifyInstance } from 'fastify'
import { defaultDialect } from '../../plugins/errors/default-dialect.js'
import { apiSecurityHeaders } from '../../plugins/http/security-headers.js'
import type { TokenFamily } from '../family.js'
import accountRoutes from './account-routes.js'
import auditRoutes from './audit-routes.js'
import credentialReportRoutes from './credential-report-routes.js'
import credentialRoutes from './credential-routes.js'
import lookupRoutes from './lookup-routes.js'
import maintenanceRoutes from './maintenance-routes.js'
import roleRoutes from './role-routes.js'
import userRoutes from './user-routes.js'

/** Admin bodies are small JSON documents; nothing here needs more. */
const MAX_REQUEST_BODY_BYTES = 64 * 1024

async function routes (app: FastifyInstance) {
  await apiSecurityHeaders(app)
  await app.register(accountRoutes)
  await app.register(userRoutes)
  await app.register(roleRoutes)
  // The served families' own admin routes, in the admin API's scope: its credentials, tag and errors.
  for (const family of app.families) {
    if (family.adminRoutes) await app.register(family.adminRoutes)
  }
  await app.register(auditRoutes)
  await app.register(credentialReportRoutes)
  await app.register(credentialRoutes)
  await app.register(lookupRoutes)
  await app.register(maintenanceRoutes)
}

/** Tessera's own admin API: accounts, users, roles and API keys, with identity sessions. */
const admin: TokenFamily = {
  name: 'admin',
  maxBodyBytes: MAX_REQUEST_BODY_BYTES,
  mount: '/admin/v1',
  routes,
  prefixes: ['/admin/v1'],
  dialect: defaultDialect,
  openApi: { tags: [{ name: 'admin', description: 'Tessera administration: accounts, users, roles and API keys, and what each token family adds to them' }] },
  acceptsSessions: true,
  credentialHeaders: ['x-auth-token', 'bearer']
}

export default admin
