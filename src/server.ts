import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { migrateToLatest } from './db/migrate.js'
import { listenForMetrics } from './plugins/metrics.js'
import { PasswordHasher } from './core/credentials.js'
import { FAMILIES } from './families/index.js'
import { limitHeapGrowth } from './heap-growth.js'
import { loggerOptions } from './logging.js'
import { openRuntime } from './runtime.js'
import { bootstrapAdmin } from './services/bootstrap.js'
import { describeStartupFailure } from './startup-failure.js'
import { onStopSignals, STOP_SIGNALS, type StopSignal } from './stop-signals.js'

async function main (): Promise<void> {
  limitHeapGrowth()
  const runtime = openRuntime(loadConfig())
  const { config, database } = runtime
  const log = pino(loggerOptions(config, FAMILIES, process.stdout.isTTY))
  log.info({ database: database.kind, location: database.location }, 'database selected')
  if (runtime.keyCreated) log.info({ dataDir: config.dataDir }, 'generated the server key of the embedded database (secret.key in DATA_DIR): back it up with the data')

  if (config.migrateOnStart) {
    const applied = await migrateToLatest(database.db)
    log.info({ applied }, applied.length ? 'migrations applied' : 'schema up to date')
  }

  const outcome = await bootstrapAdmin(database.db, new PasswordHasher(config.passwordHashing), config.admin, { generateIfMissing: database.kind === 'pglite' })
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
}

main().catch((error: unknown) => {
  console.error(`tessera: ${describeStartupFailure(error)}`)
  process.exit(1)
})
