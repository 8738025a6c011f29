import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENV_VARIABLES, loadConfig } from '../../src/config.js'
import { configError } from '../helpers/config-error.js'
import { defaultCatalogTemplate } from '../../src/core/catalog.js'
import { MigrationFailed } from '../../src/db/migrate.js'
import { openRuntime } from '../../src/runtime.js'
import { describeStartupFailure } from '../../src/startup-failure.js'
import { spawnServer } from '../server/server-process.js'

function expectRejected (variable: string, value: string): void {
  const error = configError({ [variable]: value })
  expect(error.variable).toBe(variable)
  expect(error.message.startsWith(`${variable} `)).toBe(true)
}

let directory: string
beforeAll(async () => { directory = await mkdtemp(join(tmpdir(), 'tessera-config-')) })
afterAll(() => rm(directory, { recursive: true, force: true }))

describe('loadConfig defaults', () => {
  it('fills every setting from an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      databaseReadUrls: [],
      databaseDirectUrl: undefined,
      databasePoolMax: 10,
      databaseTimeouts: { connectMs: 5000, queryMs: 30_000 },
      readinessTimeoutMs: 2000,
      shutdownGraceMs: 10_000,
      credentialCache: { seconds: 5, entries: 100_000 },
      readCache: { ms: 1000, entries: 10_000 },
      dataDir: './data',
      publicUrl: undefined,
      trustProxy: false,
      trustedProxies: [],
      corsOrigins: [],
      logLevel: 'info',
      secretKey: undefined,
      admin: { account: 'admin', user: 'admin', password: undefined },
      migrateOnStart: true,
      tokenTtlSeconds: 24 * 3600,
      sessionPurgeIntervalSeconds: 300,
      usageFlushSeconds: 60,
      retention: { auditDays: 0, endedCredentialDays: 7 },
      catalog: defaultCatalogTemplate,
      catalogRegion: 'RegionOne',
      redisUrl: undefined,
      rateLimit: { max: 6000, windowSeconds: 60 },
      authFailures: { perUser: 10, perClient: 100, windowSeconds: 900 },
      underPressure: { maxEventLoopDelayMs: 1000, maxHeapUsedBytes: Math.floor(0.95 * getHeapStatistics().heap_size_limit), sampleIntervalMs: 1000, retryAfterSeconds: 5 },
      http: { bodyLimitBytes: 1024 * 1024, maxHeaderBytes: 16 * 1024, maxUrlLength: 8192, requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000 },
      metrics: { token: undefined, port: undefined },
      // Always OWASP's argon2id cost from the environment: no variable makes it cheaper.
      passwordHashing: { memoryCost: 19456, timeCost: 2 }
    })
  })

  it('treats empty strings as unset and ignores variables it does not know', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: '', TOKEN_TTL: '', PATH: '/bin', SOMETHING_ELSE: 'x' })
    expect(config.port).toBe(8080)
    expect(config.logLevel).toBe('info')
    expect(config.tokenTtlSeconds).toBe(86400)
  })

  it('reads valid values, converting types and durations', () => {
    const key = randomBytes(32).toString('hex')
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgresql://user@db.example:5432/tessera',
      PUBLIC_URL: 'https://id.example.com/base/',
      LOG_LEVEL: 'debug',
      TESSERA_SECRET_KEY: key,
      TOKEN_TTL: '5m',
      SESSION_PURGE_INTERVAL: '30s',
      MIGRATE_ON_START: 'false',
      TRUST_PROXY: 'true',
      DATABASE_CONNECT_TIMEOUT_MS: '750',
      DATABASE_QUERY_TIMEOUT_MS: '4000',
      READINESS_TIMEOUT_MS: '250',
      SHUTDOWN_GRACE_MS: '1500'
    })
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgresql://user@db.example:5432/tessera',
      publicUrl: 'https://id.example.com/base',
      logLevel: 'debug',
      secretKey: key,
      tokenTtlSeconds: 300,
      sessionPurgeIntervalSeconds: 30,
      migrateOnStart: false,
      trustProxy: true,
      databaseTimeouts: { connectMs: 750, queryMs: 4000 },
      readinessTimeoutMs: 250,
      shutdownGraceMs: 1500
    })
  })

  it.each([['3600', 3600], ['90m', 5400], ['2h', 7200], ['7d', 604800], ['300s', 300]])('reads TOKEN_TTL %s as %i seconds', (text, seconds) => {
    expect(loadConfig({ TOKEN_TTL: text }).tokenTtlSeconds).toBe(seconds)
  })

  it('lists every variable it reads', () => {
    expect(ENV_VARIABLES).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'PUBLIC_URL', 'LOG_LEVEL', 'TESSERA_SECRET_KEY', 'TOKEN_TTL', 'MIGRATE_ON_START', 'CATALOG_FILE']))
  })
})

describe('loadConfig refuses bad values, naming the variable', () => {
  it.each(['10.0.0.1/33', 'proxy.example.com', '10.0.0.1,nope', '010.0.0.1', 'fe80::1%eth0', '1.2.3.4/8/9'])('TRUSTED_PROXIES=%s', (value) => expectRejected('TRUSTED_PROXIES', value))

  it('reads TRUSTED_PROXIES as a list of IPs and CIDRs', () => {
    expect(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8, 192.0.2.1 ,2001:db8::/32,' }).trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.1', '2001:db8::/32'])
  })

  it.each(['console.example.com', 'https://console.example.com/', 'https://a.example/app', 'https://a.example,ftp://b.example', 'https://a b.example'])('CORS_ORIGINS=%s', (value) => expectRejected('CORS_ORIGINS', value))

  it('reads CORS_ORIGINS as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://console.example.com, http://localhost:3000 ,' }).corsOrigins).toEqual(['https://console.example.com', 'http://localhost:3000'])
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*'])
  })

  it.each(['0', '65536', '-1', 'abc', '80.5', '8080x'])('PORT=%s', (value) => expectRejected('PORT', value))

  it.each(['mysql://db/x', 'http://db:5432/x', 'db:5432', 'postgres:/db'])('DATABASE_URL=%s', (value) => expectRejected('DATABASE_URL', value))

  it.each(['example.com', 'ftp://example.com', 'http://', 'https://example.com?x=1', 'https://example.com/#frag', 'http://exa mple.com', 'http://host:99999'])(
    'PUBLIC_URL=%s', (value) => expectRejected('PUBLIC_URL', value))

  it.each(['verbose', 'INFO', 'warning', '1'])('LOG_LEVEL=%s', (value) => expectRejected('LOG_LEVEL', value))

  it.each([
    ['too short', 'abc'],
    ['31 bytes of base64', randomBytes(31).toString('base64')],
    ['33 bytes of base64', randomBytes(33).toString('base64')],
    ['31 bytes of hex', randomBytes(31).toString('hex')],
    ['33 bytes of hex', randomBytes(33).toString('hex')],
    ['64 characters that are not hex', 'g'.repeat(64)],
    ['44 characters that are not base64', '!'.repeat(43) + '=']
  ])('TESSERA_SECRET_KEY: %s', (_what, value) => {
    const error = configError({ TESSERA_SECRET_KEY: value })
    expect(error.variable).toBe('TESSERA_SECRET_KEY')
    expect(error.message).toMatch(/^TESSERA_SECRET_KEY must be 32 bytes/)
    // The message must not echo the (possibly almost right) key.
    expect(error.message).not.toContain(value)
  })

  it.each(['4m', '299s', '299', '0', '1h30m', 'abc', '5 m', '1w', '-10m', '24H'])('TOKEN_TTL=%s', (value) => expectRejected('TOKEN_TTL', value))

  it('says why a TOKEN_TTL below 5 minutes is refused', () => {
    expect(configError({ TOKEN_TTL: '4m' }).message).toMatch(/^TOKEN_TTL must be at least 5 minutes/)
  })

  it('refuses a TOKEN_TTL so long that expiry times cannot be written', () => {
    expectRejected('TOKEN_TTL', '99999999999d')
    expectRejected('TOKEN_TTL', '367d')
    expect(loadConfig({ TOKEN_TTL: '366d' }).tokenTtlSeconds).toBe(366 * 86400)
  })

  // 30 days is more than a Node timer can wait: setInterval would fire every millisecond instead.
  it.each(['0', '0s', 'soon', '30d', '25h'])('SESSION_PURGE_INTERVAL=%s', (value) => expectRejected('SESSION_PURGE_INTERVAL', value))

  it.each(['0', '-1', '1.5', '86401', '60s'])('USAGE_FLUSH_SECONDS=%s', (value) => expectRejected('USAGE_FLUSH_SECONDS', value))

  it('reads USAGE_FLUSH_SECONDS from 1 to 86400', () => {
    expect(loadConfig({ USAGE_FLUSH_SECONDS: '1' }).usageFlushSeconds).toBe(1)
    expect(loadConfig({ USAGE_FLUSH_SECONDS: '86400' }).usageFlushSeconds).toBe(86400)
  })

  it.each(['-1', '36501', '1.5', 'abc', '7d', '99999999999999999999'])('AUDIT_RETENTION_DAYS and ENDED_CREDENTIAL_RETENTION_DAYS=%s', (value) => {
    expectRejected('AUDIT_RETENTION_DAYS', value)
    expectRejected('ENDED_CREDENTIAL_RETENTION_DAYS', value)
  })

  it('reads retention in whole days, 0 (audit events kept for ever; ended credentials purged at once) to 36500', () => {
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '0', ENDED_CREDENTIAL_RETENTION_DAYS: '0' }).retention).toEqual({ auditDays: 0, endedCredentialDays: 0 })
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '36500', ENDED_CREDENTIAL_RETENTION_DAYS: '30' }).retention).toEqual({ auditDays: 36500, endedCredentialDays: 30 })
    expect(configError({ AUDIT_RETENTION_DAYS: '36501' }).message).toBe('AUDIT_RETENTION_DAYS must be <= 36500 (got "36501")')
    expect(configError({ ENDED_CREDENTIAL_RETENTION_DAYS: '-1' }).message).toBe('ENDED_CREDENTIAL_RETENTION_DAYS must be >= 0 (got "-1")')
  })

  it('DATABASE_URL that is refused is not echoed, as it may hold a password', () => {
    const error = configError({ DATABASE_URL: 'mysql://tessera:hunter2-secret@db/x' })
    expect(error.variable).toBe('DATABASE_URL')
    expect(error.message).not.toContain('hunter2-secret')
  })

  it.each(['maybe', 'yes', 'on', '2'])('MIGRATE_ON_START=%s', (value) => expectRejected('MIGRATE_ON_START', value))

  it.each([
    ['DATABASE_CONNECT_TIMEOUT_MS', '99'], ['DATABASE_CONNECT_TIMEOUT_MS', '5s'], ['DATABASE_QUERY_TIMEOUT_MS', '0'],
    ['READINESS_TIMEOUT_MS', '49'], ['READINESS_TIMEOUT_MS', '60001'], ['READINESS_TIMEOUT_MS', '1.5']
  ])('%s=%s', (variable, value) => expectRejected(variable, value))

  it('CATALOG_FILE that does not exist', () => {
    const error = configError({ CATALOG_FILE: join(directory, 'missing.json') })
    expect(error.variable).toBe('CATALOG_FILE')
    expect(error.message).toMatch(/^CATALOG_FILE cannot be read: /)
  })

  it('CATALOG_FILE that is a directory', () => {
    expect(configError({ CATALOG_FILE: directory }).variable).toBe('CATALOG_FILE')
  })

  it('CATALOG_FILE that is not JSON', async () => {
    const path = join(directory, 'not-json.json')
    await writeFile(path, '{ "name": ')
    const error = configError({ CATALOG_FILE: path })
    expect(error.variable).toBe('CATALOG_FILE')
    expect(error.message).toMatch(/^CATALOG_FILE is not a valid catalog template: /)
  })

  it('CATALOG_FILE whose JSON is not a catalog template', async () => {
    const path = join(directory, 'bad-template.json')
    await writeFile(path, JSON.stringify([{ name: 'x', type: 'y', endpoints: [] }]))
    const error = configError({ CATALOG_FILE: path })
    expect(error.variable).toBe('CATALOG_FILE')
    expect(error.message).toMatch(/^CATALOG_FILE is not a valid catalog template: \/0\/endpoints /)
  })

  it('reads a valid CATALOG_FILE', async () => {
    const path = join(directory, 'catalog.json')
    const template = [{ name: 'swift', type: 'object-store', endpoints: [{ region: '{region}', publicURL: 'https://swift.example/v1/{tenantId}' }] }]
    await writeFile(path, JSON.stringify(template))
    // Loaded as written, each endpoint given its stable id once.
    expect(loadConfig({ CATALOG_FILE: path }).catalog).toEqual([{ ...template[0], endpoints: [{ ...template[0]!.endpoints[0], id: expect.stringMatching(/^[0-9a-f]{32}$/) }] }])
  })

  it.each(['bad account!', 'a'.repeat(65)])('TESSERA_ADMIN_ACCOUNT=%s', (value) => expectRejected('TESSERA_ADMIN_ACCOUNT', value))

  it('TESSERA_ADMIN_PASSWORD shorter than 8 characters, without echoing it', () => {
    const error = configError({ TESSERA_ADMIN_PASSWORD: 'short' })
    expect(error.variable).toBe('TESSERA_ADMIN_PASSWORD')
    expect(error.message).not.toContain('short')
  })
})

describe('the line the server prints when it cannot start', () => {
  /** What `npm start` would print for this environment, computed as server.ts does, without a process. */
  async function startupLine (env: Record<string, string>): Promise<string> {
    try {
      const runtime = openRuntime(loadConfig({ DATA_DIR: join(directory, `data-${randomBytes(4).toString('hex')}`), ...env }))
      await runtime.close()
    } catch (error) {
      return describeStartupFailure(error)
    }
    throw new Error('the configuration was accepted')
  }

  it('PORT that is not a number', async () => {
    expect(await startupLine({ PORT: 'abc' })).toBe('configuration error: PORT must be integer (got "abc")')
  })

  it('LOG_LEVEL that is unknown: the allowed levels, listed', async () => {
    expect(await startupLine({ LOG_LEVEL: 'verbose' }))
      .toBe('configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")')
  })

  it('a switch that is neither true nor false', async () => {
    expect(await startupLine({ TRUST_PROXY: 'yes' })).toBe('configuration error: TRUST_PROXY must be true or false (got "yes")')
    expect(await startupLine({ MIGRATE_ON_START: 'off' })).toBe('configuration error: MIGRATE_ON_START must be true or false (got "off")')
  })

  it('TESSERA_SECRET_KEY that is not 32 bytes', async () => {
    expect(await startupLine({ TESSERA_SECRET_KEY: 'abcd' })).toMatch(/^configuration error: TESSERA_SECRET_KEY must be 32 bytes/)
  })

  it('DATABASE_URL without TESSERA_SECRET_KEY, before touching the database', async () => {
    expect(await startupLine({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }))
      .toBe('configuration error: TESSERA_SECRET_KEY is required with DATABASE_URL: every replica must share one key (generate one with `openssl rand -base64 32`)')
  })

  it('DATA_DIR that is a file, or under one', async () => {
    const file = join(directory, `file-${randomBytes(4).toString('hex')}`)
    await writeFile(file, '')
    expect(await startupLine({ DATA_DIR: file })).toBe(`configuration error: DATA_DIR ${file} is a file, not a directory; set DATA_DIR to a directory this user can write`)
    expect(await startupLine({ DATA_DIR: join(file, 'data') })).toBe(`configuration error: DATA_DIR ${join(file, 'data')} lies under a file, not a directory; set DATA_DIR to a directory this user can write`)
  })

  /** An error as node or pg raises it: a message and the fields that say what failed. */
  const failure = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields)
  const settings = { port: 8080, host: '127.0.0.1', databaseUrl: 'postgres://bob:s3cret@db.example:6432/tessera' }

  it('a port in use or out of reach, naming PORT or HOST', () => {
    const listen = (code: string) => failure(`listen ${code}: address already in use 127.0.0.1:8080`, { code, syscall: 'listen' })
    expect(describeStartupFailure(listen('EADDRINUSE'), settings)).toBe('PORT 8080 is already in use on 127.0.0.1: stop what listens there, or set PORT to another port')
    expect(describeStartupFailure(listen('EACCES'), settings)).toBe('PORT 8080 needs privileges this user does not have (ports below 1024 do): set PORT to 1024 or above')
    expect(describeStartupFailure(listen('EADDRNOTAVAIL'), settings)).toBe('HOST 127.0.0.1 is not an address of this machine: set HOST to one of its addresses (0.0.0.0 for all)')
  })

  it('a database out of reach, under the migration that met it, naming DATABASE_URL without its password', () => {
    const wrapped = (cause: Error) => new MigrationFailed(undefined, cause)
    const lines = [
      failure('connect ECONNREFUSED 10.0.0.1:6432', { code: 'ECONNREFUSED' }),
      failure('getaddrinfo ENOTFOUND db.example', { code: 'ENOTFOUND' }),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      failure('password authentication failed for user "bob"', { code: '28P01' }),
      failure('database "tessera" does not exist', { code: '3D000' })
    ].map((cause) => describeStartupFailure(wrapped(cause), settings))
    expect(lines).toEqual([
      'cannot reach PostgreSQL at db.example:6432 (DATABASE_URL): connection refused (is PostgreSQL running, on that port?)',
      'cannot reach PostgreSQL at db.example:6432 (DATABASE_URL): no such host',
      'cannot reach PostgreSQL at db.example:6432 (DATABASE_URL): no answer within DATABASE_CONNECT_TIMEOUT_MS',
      'cannot reach PostgreSQL at db.example:6432 (DATABASE_URL): the connection ended before PostgreSQL answered (no answer within DATABASE_CONNECT_TIMEOUT_MS, or not PostgreSQL on that port)',
      'PostgreSQL at db.example:6432 refused DATABASE_URL: password authentication failed for user "bob"',
      'PostgreSQL at db.example:6432 refused DATABASE_URL: database "tessera" does not exist'
    ])
    for (const line of lines) expect(line).not.toContain('s3cret')
  })

  it('any other failure', () => {
    expect(describeStartupFailure(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe('could not start: connect ECONNREFUSED 127.0.0.1:1')
    expect(describeStartupFailure(failure('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), { ...settings, databaseUrl: undefined }))
      .toBe('could not start: connect ECONNREFUSED 127.0.0.1:1')
    expect(describeStartupFailure(new Error('relation "x" does not exist'), settings)).toBe('could not start: relation "x" does not exist')
    expect(describeStartupFailure('odd')).toBe('could not start: odd')
  })
})

// Two processes only: one refused configuration and one unreachable database show that the
// process prints the line above, alone, and exits non-zero; the messages are checked above.
describe.concurrent('the server process refuses a bad configuration', () => {
  /** Starts the real server; it must print one line naming the variable on stderr and exit non-zero. */
  async function startFails (env: Record<string, string>): Promise<string> {
    const server = await spawnServer({ DATA_DIR: join(directory, `data-${randomBytes(4).toString('hex')}`), ...env })
    const { code } = await server.exited
    expect(code).not.toBe(0)
    expect(code).not.toBeNull()
    const lines = server.stderr().split('\n').filter((line) => line.trim() !== '')
    expect(lines).toHaveLength(1)
    expect(server.stdout()).toBe('')
    return lines[0]!
  }

  it('PORT that is not a number', async () => {
    expect(await startFails({ PORT: 'abc' })).toBe('tessera: configuration error: PORT must be integer (got "abc")')
  }, 60_000)

  it('a valid configuration whose database is down: one line, exit 1, no hanging', async () => {
    const line = await startFails({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', TESSERA_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' })
    expect(line).toBe('tessera: cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): connection refused (is PostgreSQL running, on that port?)')
  }, 60_000)
})
