import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify'
import type { Config } from './config.js'
import { systemClock, type Clock } from './core/clock.js'
import { NotifiedCache } from './core/notified-cache.js'
import { Unavailable } from './core/errors.js'
import { PasswordHasher, type CredentialTools } from './core/credentials.js'
import { Fingerprints } from './core/fingerprints.js'
import { parseSecretKey, SecretBox } from './core/secrets.js'
import { followCredentialChanges, localInvalidation, type AppCaches } from './db/credential-changes.js'
import { sameOrigin, type Database } from './db/database.js'
import { FlushOnWrite } from './db/flush-on-write.js'
import { connectRedis, redisReady } from './db/redis.js'
import type { TokenFamily } from './families/family.js'
import { FAMILIES } from './families/index.js'
import audit from './plugins/records/audit.js'
import auth from './plugins/auth/auth.js'
import { answerClientError, refuseConnect } from './plugins/http/client-error.js'
import { setCommonHeaders } from './plugins/http/common-headers.js'
import corsPolicy from './plugins/http/cors.js'
import credentialUsage from './plugins/records/credential-usage.js'
import { defaultDialect } from './plugins/errors/default-dialect.js'
import { answerUnknownRoutes, ErrorDialects, renderErrorsByPath, renderErrorsWith, renderFrameworkError } from './plugins/errors/error-dialect.js'
import failureLimits from './plugins/limits/failure-limits.js'
import headReplies from './plugins/http/head-replies.js'
import health from './plugins/operations/health.js'
import jsonBody from './plugins/http/json-body.js'
import loadShedding from './plugins/limits/load-shedding.js'
import metrics from './plugins/operations/metrics.js'
import storableText from './plugins/http/storable-text.js'
import replyBatches from './plugins/http/reply-batches.js'
import requestRate from './plugins/limits/request-rate.js'
import retention from './plugins/records/retention.js'
import { sessionCredential } from './plugins/auth/session-credential.js'
import type { AuditQueueOptions } from './services/audit-queue.js'
import swagger from './plugins/operations/swagger.js'
import { validatorCompiler } from './plugins/http/validation.js'
import { lazyRequestLoggers } from './request-logger.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    clock: Clock
    db: Database
    /** Seals the secrets an API must show again (agent tokens, API keys) and hashes passwords. */
    credentialTools: CredentialTools
    /** Credentials validated in the last few seconds (see core/notified-cache.ts). */
    credentialCache: NotifiedCache
    /** The objects of hot reads (an agent token, a token list page), kept READ_CACHE_MS at most. */
    readCache: NotifiedCache
    /** The families served: what the identity core's services ask of each (their stored credentials, their kill switch). */
    families: readonly TokenFamily[]
  }
}

export interface AppOptions {
  config: Config
  /** The clock of expiry decisions; tests may pass their own. */
  clock?: Clock
  /** Owned by the caller: buildApp never opens or closes it. */
  db: Database
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** The API families to serve; all of them unless a test narrows the list. */
  families?: readonly TokenFamily[]
  /** How refusals are queued for the audit trail; tests shorten the wait. */
  auditQueue?: Partial<AuditQueueOptions>
}

/** How long a start waits for Redis before serving with limits that fail open until it answers. */
const REDIS_READY_WAIT_MS = 2000

export async function buildApp ({ config, db, clock = systemClock, logger = false, families = FAMILIES, auditQueue }: AppOptions) {
  const key = config.secretKey === undefined ? null : parseSecretKey(config.secretKey)
  if (!key) throw new Error('buildApp needs config.secretKey (32 bytes, base64 or hex)')

  // Errors raised before any route is known answer in the dialect of the family owning the path.
  const errorDialects = new ErrorDialects()
  errorDialects.add('', defaultDialect)
  for (const family of families) {
    for (const prefix of family.prefixes) errorDialects.add(prefix, family.dialect, family.notFound)
  }
  const app = Fastify({
    ...(typeof logger === 'object' && 'child' in logger ? { loggerInstance: logger, childLoggerFactory: lazyRequestLoggers } : { logger }),
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    // The largest body any route accepts; families set smaller limits of their own.
    bodyLimit: config.http.bodyLimitBytes,
    // Slow clients cannot hold a connection: the headers, then the whole request, must arrive in time.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      maxHeaderSize: config.http.maxHeaderBytes,
      // Node checks the timeouts above this often (30 s by default, which would stretch them).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.http.headersTimeoutMs / 4)))
    },
    // Keystone strips one trailing slash, and fog may send `/v2.0//tokens` (spec §0.5, §12.3).
    // Agent token ids are 65 characters plus a tenant id of up to 64 (more when percent-encoded);
    // find-my-way's default of 100 would make longer ones unroutable (404).
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 512 },
    // A malformed URL is answered before routing: in the dialect of the family its path names.
    frameworkErrors: (error, request, reply) => renderFrameworkError(errorDialects, error, request, reply),
    // So is a request Node's HTTP parser refuses, which never becomes a request at all.
    clientErrorHandler: answerClientError(errorDialects),
    // Draining requests get a 503 in their family's dialect (below), not Fastify's fixed body.
    return503OnClosing: false
  })
  // Node answers CONNECT nowhere by itself: it would drop the connection unanswered.
  app.server.on('connect', refuseConnect(app, errorDialects))
  app.setValidatorCompiler(validatorCompiler)

  app.decorate('config', config)
  app.decorate('clock', clock)
  app.decorate('families', families)
  // Validated credentials are kept a few seconds, hot reads a second; every change that can end
  // one empties them here (FlushOnWrite) and on every replica (the database's notifications).
  const credentialKinds = [sessionCredential(families.filter((family) => family.acceptsSessions === true).map(({ name }) => name)), ...families.flatMap((family) => family.credentials ?? [])]
  const caches: AppCaches = {
    credentials: new NotifiedCache({ maxEntries: config.credentialCache.entries, recheckMs: config.credentialCache.seconds * 1000 }, { enabled: false }),
    reads: new NotifiedCache({ maxEntries: config.readCache.entries, recheckMs: config.readCache.ms }, { enabled: false })
  }
  const changes = followCredentialChanges(db, caches, app.log)
  app.addHook('onClose', () => changes.close())
  app.decorate('credentialCache', caches.credentials)
  app.decorate('readCache', caches.reads)
  app.decorate('db', sameOrigin(db
    .withPlugin(new FlushOnWrite(credentialKinds, localInvalidation(changes, 'credentials')))
    .withPlugin(new FlushOnWrite(families.flatMap((family) => family.cachedReads ?? []), localInvalidation(changes, 'reads'))), db))
  app.decorate('credentialTools', { box: new SecretBox(key), passwords: new PasswordHasher(config.passwordHashing), fingerprints: new Fingerprints(key) })

  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // Callback-style hooks on every request: an async one costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    setCommonHeaders(request, reply)
    if (!closing) return done()
    // A request on a kept-alive connection while this replica drains: send it elsewhere.
    reply.header('connection', 'close')
    done(new Unavailable('This server is shutting down; retry the request.', { retryAfterSeconds: 1 }))
  })

  await app.register(headReplies)
  await app.register(replyBatches)
  await app.register(metrics, { db, caches, changes })
  // CORS first: a browser can read a refusal by the limits below only with its headers.
  await app.register(corsPolicy, { origins: config.corsOrigins, families })
  // Limits run before any parsing or credential check: a refused request costs almost nothing.
  const redis = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl)
  if (redis) {
    app.addHook('onReady', () => redisReady(redis, REDIS_READY_WAIT_MS))
    app.addHook('onClose', async () => { await redis.quit().catch(() => redis.disconnect()) })
  }
  await app.register(loadShedding)
  await app.register(requestRate, { redis })
  await app.register(failureLimits, { redis })

  await app.register(jsonBody)
  await app.register(storableText)
  await app.register(auth, { kinds: credentialKinds, families })
  await app.register(audit, { auditQueue })
  await app.register(credentialUsage)
  await app.register(swagger, { families })
  renderErrorsByPath(app, errorDialects)
  answerUnknownRoutes(app, errorDialects)

  await app.register(health)
  for (const family of families) {
    await app.register(async (scope) => {
      renderErrorsWith(scope, family.dialect)
      // Fastify refuses a larger body (413, in the family's dialect) from its Content-Length, unread.
      const bodyLimit = Math.min(family.maxBodyBytes, config.http.bodyLimitBytes)
      // A route's family decides which credentials it accepts (plugins/auth).
      scope.addHook('onRoute', (route) => {
        route.bodyLimit = Math.min(route.bodyLimit ?? bodyLimit, bodyLimit)
        route.config = { ...route.config, family: family.name }
      })
      await scope.register(family.routes)
    }, { prefix: family.mount })
  }
  await app.register(retention)
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
