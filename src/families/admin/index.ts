import type { FastifyInstance } from 'fastify'
import { defaultDialect } from '../../plugins/default-dialect.js'
import { useErrorDialect } from '../../plugins/error-dialect.js'
import accountRoutes from './account-routes.js'
import roleRoutes from './role-routes.js'
import userRoutes from './user-routes.js'

/** Admin bodies are small JSON documents; nothing here needs more. */
const MAX_REQUEST_BODY_BYTES = 64 * 1024

/** Tessera's own admin API: accounts, users, roles and API keys. */
export default async function admin (app: FastifyInstance) {
  useErrorDialect(app, defaultDialect)
  app.addHook('onRoute', (route) => { route.bodyLimit ??= MAX_REQUEST_BODY_BYTES })

  await app.register(accountRoutes)
  await app.register(userRoutes)
  await app.register(roleRoutes)
}
