import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify'
import type { Config } from './config.js'
import { Unavailable } from './core/errors.js'
import { parseSecretKey, SecretBox } from './core/secrets.js'
import type { Database } from './db/database.js'
import admin from './families/admin/index.js'
import agentTokens from './families/agent-tokens/index.js'
import keystone from './families/keystone/index.js'
import auth from './plugins/auth.js'
import { defaultDialect } from './plugins/default-dialect.js'
import { ErrorDialects, renderFrameworkError, useErrorDialect } from './plugins/error-dialect.js'
import health from './plugins/health.js'
import jsonBody from './plugins/json-body.js'
import sessionPurge from './plugins/session-purge.js'
import swagger from './plugins/swagger.js'
import { validatorCompiler } from './plugins/validation.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: Database
    /** Seals the secrets an API must show again (agent tokens). */
    secretBox: SecretBox
  }
}

export interface AppOptions {
  config: Config
  /** Owned by the caller: buildApp never opens or closes it. */
  db: Database
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
}

/** The largest body any route accepts; families set smaller limits of their own. */
const BODY_LIMIT_BYTES = 1024 * 1024

export async function buildApp ({ config, db, logger = false }: AppOptions) {
  const key = config.secretKey === undefined ? null : parseSecretKey(config.secretKey)
  if (!key) throw new Error('buildApp needs config.secretKey (32 bytes, base64 or hex)')

  const errorDialects = new ErrorDialects()
  const app = Fastify({
    ...(typeof logger === 'object' && 'child' in logger ? { loggerInstance: logger } : { logger }),
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    // Keystone strips one trailing slash, and fog may send `/v2.0//tokens` (spec §0.5, §12.3).
    // Agent token ids are 65 characters plus a tenant id of up to 64 (more when percent-encoded);
    // find-my-way's default of 100 would make longer ones unroutable (404).
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 512 },
    // A malformed URL is answered before routing: in the dialect of the family its path names.
    frameworkErrors: (error, request, reply) => renderFrameworkError(errorDialects, error, request, reply),
    // Draining requests get a 503 in their family's dialect (below), not Fastify's fixed body.
    return503OnClosing: false
  })
  app.setValidatorCompiler(validatorCompiler)

  app.decorate('config', config)
  app.decorate('db', db)
  app.decorate('secretBox', new SecretBox(key))
  app.decorate('errorDialects', errorDialects)

  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    if (closing) {
      // A request on a kept-alive connection while this replica drains: send it elsewhere.
      reply.header('connection', 'close')
      throw new Unavailable('This server is shutting down; retry the request.', { retryAfterSeconds: 1 })
    }
  })

  await app.register(jsonBody)
  await app.register(auth)
  await app.register(swagger)
  useErrorDialect(app, defaultDialect)

  await app.register(health)
  await app.register(keystone)
  await app.register(agentTokens, { prefix: '/v1.0' })
  await app.register(admin, { prefix: '/admin/v1' })
  await app.register(sessionPurge)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
