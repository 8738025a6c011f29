import { readFileSync } from 'node:fs'
import { getHeapStatistics } from 'node:v8'
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { parseCatalogTemplate, defaultCatalogTemplate, type CatalogTemplate } from './core/catalog.js'
import { OWASP_ARGON2, type Argon2Cost } from './core/credentials.js'
import { IDENTIFIER_PATTERN } from './core/identifiers.js'
import { parseSecretKey } from './core/secrets.js'
import { parseHostList } from './db/multi-host.js'
import ipaddr from 'ipaddr.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const DURATION = '^[0-9]+[smhd]?$'
// A century: a longer retention is a typo, and a large enough one makes `now - days` an invalid Date.
const MAX_RETENTION_DAYS = 36_500

/** Every environment variable Tessera reads. The table in docs/configuration.md and the compose test follow it. */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_READ_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_DIRECT_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  DATABASE_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  READINESS_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  CREDENTIAL_CACHE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
  CREDENTIAL_CACHE_ENTRIES: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 100_000 }),
  READ_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  READ_CACHE_ENTRIES: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000 }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+(/[^?#]*)?$' })),
  TRUST_PROXY: Type.Boolean({ default: false }),
  TRUSTED_PROXIES: Type.Optional(Type.String()),
  CORS_ORIGINS: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info' }),
  TESSERA_SECRET_KEY: Type.Optional(Type.String()),
  TESSERA_ADMIN_ACCOUNT: Type.String({ pattern: IDENTIFIER_PATTERN, default: 'admin' }),
  TESSERA_ADMIN_USER: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$', default: 'admin' }),
  TESSERA_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 4096 })),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  TOKEN_TTL: Type.String({ pattern: DURATION, default: '24h' }),
  SESSION_PURGE_INTERVAL: Type.String({ pattern: DURATION, default: '5m' }),
  USAGE_FLUSH_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: MAX_RETENTION_DAYS, default: 0 }),
  ENDED_CREDENTIAL_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: MAX_RETENTION_DAYS, default: 7 }),
  CATALOG_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CATALOG_REGION: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', default: 'RegionOne' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, maximum: 100_000_000, default: 6000 }),
  RATE_LIMIT_WINDOW: Type.String({ pattern: DURATION, default: '1m' }),
  AUTH_FAILURES_PER_USER: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10 }),
  AUTH_FAILURES_PER_CLIENT: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 100 }),
  AUTH_FAILURE_WINDOW: Type.String({ pattern: DURATION, default: '15m' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  MAX_HEAP_USED_RATIO: Type.Number({ minimum: 0, maximum: 1, default: 0.95 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 1024 * 1024 }),
  MAX_HEADER_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 * 1024, default: 16 * 1024 }),
  MAX_URL_LENGTH: Type.Integer({ minimum: 256, maximum: 1024 * 1024, default: 8192 }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000 }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 72_000 }),
  METRICS_TOKEN: Type.Optional(Type.String()),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 }))
})
export type Env = Static<typeof EnvSchema>
export const ENV_VARIABLES = Object.keys(EnvSchema.properties) as (keyof Env)[]

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  /** Streaming standbys that may answer reads (DATABASE_READ_URL); empty: the primary answers all. */
  databaseReadUrls: string[]
  /** The primary without a pooler in between: for LISTEN and migrations (DATABASE_DIRECT_URL; unset: DATABASE_URL). */
  databaseDirectUrl: string | undefined
  databasePoolMax: number
  /** How long a new PostgreSQL connection and one query may take before the request answers 503. */
  databaseTimeouts: { connectMs: number, queryMs: number }
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs: number
  /** How long a stop signal waits for requests in flight before the process exits anyway (exit code 1). */
  shutdownGraceMs: number
  /** Validated credentials kept in memory: at most `entries`, each trusted `seconds` at most (0: no cache). */
  credentialCache: { seconds: number, entries: number }
  /** Hot reads kept in memory: at most `entries`, each `ms` at most (0: no cache). */
  readCache: { ms: number, entries: number }
  dataDir: string
  publicUrl: string | undefined
  trustProxy: boolean
  /** TRUSTED_PROXIES: IPs and CIDR ranges whose X-Forwarded-For the client address believes (plugins/http/client-address.ts, spec §A5). */
  trustedProxies: string[]
  /** Origins whose browser scripts may call the APIs (CORS); empty: CORS is off. `*` allows any. */
  corsOrigins: string[]
  logLevel: (typeof LOG_LEVELS)[number]
  /** Base64 or hex text of the 32-byte key; server.ts fills it in for the embedded database. */
  secretKey: string | undefined
  admin: { account: string, user: string, password: string | undefined }
  migrateOnStart: boolean
  tokenTtlSeconds: number
  /** How often each replica purges what retention ends (and expired sessions). */
  sessionPurgeIntervalSeconds: number
  /** How often each replica adds the credential uses it counted to the database (a crash loses at most this much). */
  usageFlushSeconds: number
  /** Days audit events are kept (0: for ever), and ended credentials once they ended (0: purged at the next run). */
  retention: { auditDays: number, endedCredentialDays: number }
  catalog: CatalogTemplate
  catalogRegion: string
  /** Redis for the shared limit counters (failures and the request rate); unset: PostgreSQL for failures, memory for the rate. */
  redisUrl: string | undefined
  /** Requests one client may send per window, on each replica (or all together with Redis); 0: unlimited. */
  rateLimit: { max: number, windowSeconds: number }
  /** Failed credentials allowed per window: for one user name from one client, and from one client in all (0: no limit). */
  authFailures: { perUser: number, perClient: number, windowSeconds: number }
  /** Load shedding: 503 while the event loop lags more than this or the heap holds more (0: never). */
  underPressure: { maxEventLoopDelayMs: number, maxHeapUsedBytes: number, sampleIntervalMs: number, retryAfterSeconds: number }
  /** Sizes and timeouts of the HTTP server, so slow or oversized requests cannot pin connections. */
  http: { bodyLimitBytes: number, maxHeaderBytes: number, maxUrlLength: number, requestTimeoutMs: number, headersTimeoutMs: number, keepAliveTimeoutMs: number }
  /** GET /metrics: a bearer token it requires (unset: none), and a port of its own (unset: the app's port). */
  metrics: { token: string | undefined, port: number | undefined }
  /** The cost of new password hashes: always OWASP's from the environment; only tests build a cheaper config. */
  passwordHashing: Argon2Cost
}

/** A configuration problem, always naming the variable at fault. */
export class ConfigError extends Error {
  readonly variable: string
  constructor (variable: string, problem: string) {
    super(`${variable} ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

const MIN_TOKEN_TTL_SECONDS = 300
// Beyond a year is a typo, and a large enough TTL makes `now + ttl` an invalid Date (every login a 500).
const MAX_TOKEN_TTL_SECONDS = 366 * 86400
// Node timers cannot wait longer than 2^31-1 ms (~24.8 days): a longer interval fires every millisecond.
const MAX_PURGE_INTERVAL_SECONDS = 86400
// Their values are never echoed in an error: the message goes to stderr and to logs.
const SECRET_VARIABLES = new Set(['TESSERA_SECRET_KEY', 'TESSERA_ADMIN_PASSWORD', 'DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_DIRECT_URL', 'REDIS_URL', 'METRICS_TOKEN'])
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

function durationSeconds (text: string): number {
  const unit = text.at(-1) ?? ''
  return unit in UNIT_SECONDS ? Number(text.slice(0, -1)) * UNIT_SECONDS[unit]! : Number(text)
}

function isIpOrCidr (text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/')
  if (rest.length > 0 || !ipaddr.isValid(address) || address.includes('%')) return false
  if (ipaddr.IPv4.isIPv4(address) && !ipaddr.IPv4.isValidFourPartDecimal(address)) return false
  const max = ipaddr.parse(address).kind() === 'ipv4' ? 32 : 128
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max)
}

// An origin is a scheme, a host and perhaps a port: no path, no trailing slash.
const ORIGIN = /^https?:\/\/[^/?#\s]+$/

/**
 * What a variable of a fixed set of values accepts, said in full: ajv's own words for a union
 * of literals ("must be equal to constant") leave the reader to guess them.
 */
function allowedValues (variable: string): string | undefined {
  const schema = (EnvSchema.properties as Record<string, { type?: unknown, anyOf?: { const?: unknown }[] } | undefined>)[variable]
  const values = schema?.anyOf?.map((option) => option.const)
  if (values?.every((value) => typeof value === 'string')) return `must be one of ${values.join(', ')}`
  if (schema?.type === 'boolean') return 'must be true or false'
  return undefined
}

function readEnv (env: Record<string, string | undefined>): Env {
  // Empty strings mean "unset", as they do for most twelve-factor services.
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  try {
    return envSchema<Env>({ schema: EnvSchema, data, env: false, dotenv: false })
  } catch (error) {
    const problem = (error as { errors?: { instancePath: string, message?: string }[] }).errors?.[0]
    if (!problem) throw error
    const variable = problem.instancePath.replace(/^\//, '')
    const given = SECRET_VARIABLES.has(variable) ? undefined : data[variable]
    throw new ConfigError(variable, `${allowedValues(variable) ?? problem.message ?? 'is invalid'}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`)
  }
}

function readCatalog (path: string | undefined): CatalogTemplate {
  if (path === undefined) return defaultCatalogTemplate
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError('CATALOG_FILE', `cannot be read: ${(error as Error).message}`)
  }
  try {
    return parseCatalogTemplate(JSON.parse(text))
  } catch (error) {
    throw new ConfigError('CATALOG_FILE', `is not a valid catalog template: ${(error as Error).message}`)
  }
}

/** Validates the environment and returns the configuration; throws ConfigError on the first bad value. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const values = readEnv(env)
  if (values.TESSERA_SECRET_KEY !== undefined && parseSecretKey(values.TESSERA_SECRET_KEY) === null) {
    throw new ConfigError('TESSERA_SECRET_KEY', 'must be 32 bytes written as base64 (44 characters) or hex (64 characters)')
  }
  // The pattern lets through host names with spaces, ports above 65535 and the like; URL does not.
  if (values.PUBLIC_URL !== undefined && !URL.canParse(values.PUBLIC_URL)) {
    throw new ConfigError('PUBLIC_URL', `is not a valid URL (got ${JSON.stringify(values.PUBLIC_URL)})`)
  }
  const trustedProxies = (values.TRUSTED_PROXIES ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  for (const entry of trustedProxies) {
    if (!isIpOrCidr(entry)) throw new ConfigError('TRUSTED_PROXIES', `must be a comma-separated list of IP addresses or CIDR ranges (got ${JSON.stringify(entry)})`)
  }
  const corsOrigins = (values.CORS_ORIGINS ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  for (const entry of corsOrigins) {
    if (entry !== '*' && !(ORIGIN.test(entry) && URL.canParse(entry))) {
      throw new ConfigError('CORS_ORIGINS', `must be * or a comma-separated list of origins such as https://app.example.com (got ${JSON.stringify(entry)})`)
    }
  }
  // Several read URLs are separated by commas; a URL's own host list (h1:p1,h2:p2) has commas too.
  const databaseReadUrls = (values.DATABASE_READ_URL ?? '').replace(/[\s,]+$/, '').split(/,(?=\s*postgres(?:ql)?:\/\/)/).map((entry) => entry.trim()).filter((entry) => entry !== '')
  for (const [variable, urls] of [['DATABASE_URL', [values.DATABASE_URL]], ['DATABASE_READ_URL', databaseReadUrls], ['DATABASE_DIRECT_URL', [values.DATABASE_DIRECT_URL]]] as const) {
    for (const url of urls) {
      if (url === undefined) continue
      try {
        parseHostList(url)
      } catch (error) {
        throw new ConfigError(variable, (error as Error).message)
      }
    }
  }
  if (values.DATABASE_URL === undefined) {
    for (const variable of ['DATABASE_READ_URL', 'DATABASE_DIRECT_URL'] as const) {
      if (values[variable] !== undefined) throw new ConfigError(variable, 'needs DATABASE_URL (the primary): the embedded database has no replicas')
    }
  }
  const tokenTtlSeconds = durationSeconds(values.TOKEN_TTL)
  if (tokenTtlSeconds < MIN_TOKEN_TTL_SECONDS) {
    throw new ConfigError('TOKEN_TTL', `must be at least 5 minutes, because clients re-authenticate up to 5 minutes before expiry (got ${JSON.stringify(values.TOKEN_TTL)})`)
  }
  if (tokenTtlSeconds > MAX_TOKEN_TTL_SECONDS) throw new ConfigError('TOKEN_TTL', `must be at most 366 days (got ${JSON.stringify(values.TOKEN_TTL)})`)
  const sessionPurgeIntervalSeconds = durationSeconds(values.SESSION_PURGE_INTERVAL)
  if (sessionPurgeIntervalSeconds < 1) throw new ConfigError('SESSION_PURGE_INTERVAL', 'must be at least 1 second')
  if (sessionPurgeIntervalSeconds > MAX_PURGE_INTERVAL_SECONDS) {
    throw new ConfigError('SESSION_PURGE_INTERVAL', `must be at most 1 day (got ${JSON.stringify(values.SESSION_PURGE_INTERVAL)})`)
  }

  if (values.HEADERS_TIMEOUT_MS > values.REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', `must not exceed REQUEST_TIMEOUT_MS (got ${values.HEADERS_TIMEOUT_MS} > ${values.REQUEST_TIMEOUT_MS})`)
  }
  if (values.METRICS_TOKEN !== undefined && !/^[\x21-\x7e]{16,256}$/.test(values.METRICS_TOKEN)) {
    throw new ConfigError('METRICS_TOKEN', 'must be 16 to 256 printable ASCII characters without spaces (e.g. `openssl rand -hex 32`)')
  }
  if (values.METRICS_PORT !== undefined && values.METRICS_PORT === values.PORT) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT (got ${values.METRICS_PORT}); leave it unset to serve /metrics on PORT`)
  }
  const rateLimitWindowSeconds = durationSeconds(values.RATE_LIMIT_WINDOW)
  const authFailureWindowSeconds = durationSeconds(values.AUTH_FAILURE_WINDOW)
  for (const [variable, seconds] of [['RATE_LIMIT_WINDOW', rateLimitWindowSeconds], ['AUTH_FAILURE_WINDOW', authFailureWindowSeconds]] as const) {
    if (seconds < 1 || seconds > MAX_PURGE_INTERVAL_SECONDS) throw new ConfigError(variable, 'must be between 1 second and 1 day')
  }

  return {
    port: values.PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    databaseReadUrls,
    databaseDirectUrl: values.DATABASE_DIRECT_URL,
    databasePoolMax: values.DATABASE_POOL_MAX,
    databaseTimeouts: { connectMs: values.DATABASE_CONNECT_TIMEOUT_MS, queryMs: values.DATABASE_QUERY_TIMEOUT_MS },
    readinessTimeoutMs: values.READINESS_TIMEOUT_MS,
    shutdownGraceMs: values.SHUTDOWN_GRACE_MS,
    credentialCache: { seconds: values.CREDENTIAL_CACHE_SECONDS, entries: values.CREDENTIAL_CACHE_ENTRIES },
    readCache: { ms: values.READ_CACHE_MS, entries: values.READ_CACHE_ENTRIES },
    dataDir: values.DATA_DIR,
    publicUrl: values.PUBLIC_URL?.replace(/\/+$/, ''),
    trustProxy: values.TRUST_PROXY,
    trustedProxies,
    corsOrigins,
    logLevel: values.LOG_LEVEL,
    secretKey: values.TESSERA_SECRET_KEY,
    admin: { account: values.TESSERA_ADMIN_ACCOUNT, user: values.TESSERA_ADMIN_USER, password: values.TESSERA_ADMIN_PASSWORD },
    migrateOnStart: values.MIGRATE_ON_START,
    tokenTtlSeconds,
    sessionPurgeIntervalSeconds,
    usageFlushSeconds: values.USAGE_FLUSH_SECONDS,
    retention: { auditDays: values.AUDIT_RETENTION_DAYS, endedCredentialDays: values.ENDED_CREDENTIAL_RETENTION_DAYS },
    catalog: readCatalog(values.CATALOG_FILE),
    catalogRegion: values.CATALOG_REGION,
    redisUrl: values.REDIS_URL,
    rateLimit: { max: values.RATE_LIMIT_MAX, windowSeconds: rateLimitWindowSeconds },
    authFailures: { perUser: values.AUTH_FAILURES_PER_USER, perClient: values.AUTH_FAILURES_PER_CLIENT, windowSeconds: authFailureWindowSeconds },
    underPressure: {
      maxEventLoopDelayMs: values.MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: Math.floor(values.MAX_HEAP_USED_RATIO * getHeapStatistics().heap_size_limit),
      sampleIntervalMs: 1000,
      retryAfterSeconds: 5
    },
    http: {
      bodyLimitBytes: values.BODY_LIMIT_BYTES,
      maxHeaderBytes: values.MAX_HEADER_BYTES,
      maxUrlLength: values.MAX_URL_LENGTH,
      requestTimeoutMs: values.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: values.HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: values.KEEP_ALIVE_TIMEOUT_MS
    },
    metrics: { token: values.METRICS_TOKEN, port: values.METRICS_PORT },
    passwordHashing: OWASP_ARGON2
  }
}
