import closeWithGrace from 'close-with-grace'
import { pino, type Logger } from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createDb } from './db/database.js'
import { migrateToLatest, migrationState } from './db/migrate.js'
import { listenForMetrics } from './plugins/operations/metrics.js'
import { PasswordHasher } from './core/credentials.js'
import { FAMILIES } from './families/index.js'
import { loggerOptions } from './logging.js'
import { openRuntime } from './runtime.js'
import { bootstrapAdmin, type BootstrapOutcome } from './services/bootstrap.js'
import { describeStartupFailure, type StartupSettings } from './startup-failure.js'
import { onStopSignals, STOP_SIGNALS, type StopSignal } from './stop-signals.js'

/** Where a failure at start is read against, once the configuration is known. */
let settings: StartupSettings | undefined

/** Tells the operator how the first administrator stands: a generated password is printed here, once. */
function announceAdmin (log: Logger, config: Config, outcome: BootstrapOutcome): void {
  if (outcome.action === 'generated') {
    // Printed once, to the terminal rather than the log stream; only its hash is stored.
    console.log([
      '',
      '  Tessera created an administrator for this embedded database:',
      `    account ${config.admin.account}   user ${config.admin.user}   password ${outcome.password}`,
      '  It is shown only this once. Change it with: npm run tessera -- users set-password ' + config.admin.user,
      ''
    ].join('\n'))
  } else if (outcome.action === 'missing') {
    log.warn('no administrator exists: set TESSERA_ADMIN_PASSWORD, or create one with `npm run tessera -- users create`')
  } else if (outcome.action !== 'unchanged') {
    log.info({ account: config.admin.account, user: config.admin.user }, `administrator ${outcome.action}`)
  }
}

async function main (): Promise<void> {
  const loaded = loadConfig()
  settings = { port: loaded.port, host: loaded.host, databaseUrl: loaded.databaseUrl }
  const runtime = openRuntime(loaded, { primaryOnlyTables: FAMILIES.flatMap((family) => family.primaryOnlyTables ?? []) })
  const { config, database } = runtime
  const log = pino(loggerOptions(config, FAMILIES, process.stdout.isTTY))
  log.info({ database: database.kind, location: database.location }, 'database selected')
  if (runtime.keyCreated) log.info({ dataDir: config.dataDir }, 'generated the server key of the embedded database (secret.key in DATA_DIR): back it up with the data')

  if (config.migrateOnStart) {
    // Kysely's migration lock is a session advisory lock, which a pooler in transaction mode
    // cannot hold: with DATABASE_DIRECT_URL, migrations bypass the pooler.
    const direct = config.databaseDirectUrl === undefined ? undefined : createDb({ databaseUrl: config.databaseDirectUrl, poolMax: 1, timeouts: config.databaseTimeouts })
    const applied = await migrateToLatest(direct?.db ?? database.db).finally(() => direct?.db.destroy())
    log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date')
  } else {
    // The schema is another step's job; nothing works without one. A schema behind the code is
    // started unready instead (/readyz names what is missing), as during a rolling upgrade.
    const { applied, pending } = await migrationState(database.db)
    if (applied.length === 0) {
      throw new ConfigError('MIGRATE_ON_START', 'is false and the database has no schema yet: run `npm run migrate` (`node dist/migrate.js` in the container) with the same DATABASE_URL or DATA_DIR first, or leave MIGRATE_ON_START unset')
    }
    if (pending.length > 0) log.warn({ pending }, 'migrations not applied (MIGRATE_ON_START is false): run `npm run migrate`; /readyz answers 503 until then')
  }

  const settleAdmin = () => bootstrapAdmin(database.db, new PasswordHasher(config.passwordHashing), config.admin, { generateIfMissing: database.kind === 'pglite' })
  // A password given (TESSERA_ADMIN_PASSWORD) is set before the port opens: the first login finds it.
  const given = config.admin.password === undefined ? undefined : await settleAdmin()

  const app = await buildApp({ config, db: database.db, logger: log })
  let metricsServer: Awaited<ReturnType<typeof listenForMetrics>> | undefined
  let closing = false
  let stopSignal: StopSignal | undefined
  const grace = closeWithGrace({ delay: config.shutdownGraceMs, skip: [...STOP_SIGNALS] }, async ({ signal = stopSignal, err }) => {
    closing = true
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    // app.close() ends the keep-alive connections that are idle when it starts. One whose request is
    // still in flight turns idle only after its answer, and would then hold the server open until
    // keepAliveTimeout (72 s) — past the grace delay, so the process would exit 1. Reap those too.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 100)
    try {
      await metricsServer?.close()
      await app.close()
    } finally {
      clearInterval(reaper)
    }
    await runtime.close()
  })
  const exitNow = (signal: StopSignal) => {
    console.error(`second ${signal}, exiting`)
    process.exit(1)
  }
  onStopSignals((signal) => {
    if (closing) return exitNow(signal)
    stopSignal = signal
    grace.close()
  }, exitNow)
  await app.listen({ port: config.port, host: config.host })
  if (config.metrics.port !== undefined) {
    metricsServer = await listenForMetrics(app, config.host, config.metrics.port)
    log.info({ port: config.metrics.port }, 'metrics served on their own port')
  }
  // Only now, unless it was given: a password is generated (and printed, once) by a server that
  // can be reached, never by one about to fail on a port in use, leaving an admin no one knows.
  announceAdmin(log, config, given ?? await settleAdmin())
}

main().catch((error: unknown) => {
  console.error(`tessera: ${describeStartupFailure(error, settings)}`)
  process.exit(1)
})
