#!/usr/bin/env node
import { answerWithoutDatabase, describeFailure, EXIT, parseInvocation, runInvocation, type CliIo, type Invocation } from './cli/index.js'
import type { Runtime } from './runtime.js'

/**
 * `tessera <command>` (`npx tessera`, `npm run tessera --`, `node dist/cli.js` in the image):
 * through the admin API of the server at TESSERA_URL (or --url), else on the database itself.
 */
async function main (argv: string[], io: CliIo): Promise<number> {
  const invocation = parseInvocation(argv)
  if (invocation.kind !== 'command') return answerWithoutDatabase(invocation, io)
  const url = invocation.url ?? (process.env.TESSERA_URL || undefined)
  if (url !== undefined) return runRemote(invocation, url, io)
  return runLocal(invocation, io)
}

async function runRemote (invocation: Extract<Invocation, { kind: 'command' }>, url: string, io: CliIo): Promise<number> {
  let context
  try {
    const { remoteContext } = await import('./cli/remote/remote-context.js')
    context = await remoteContext(io, url, process.env)
  } catch (error) {
    return fail(error, io)
  }
  return runInvocation(invocation, context)
}

/** The database stack loads only here: a command through a server starts without it. */
async function runLocal (invocation: Extract<Invocation, { kind: 'command' }>, io: CliIo): Promise<number> {
  const [{ loadConfig }, { migrateToLatest }, { localOperations }, { openRuntime }] = await Promise.all([
    import('./config.js'), import('./db/migrate.js'), import('./cli/local-operations.js'), import('./runtime.js')
  ])
  let runtime: Runtime
  try {
    // The CLI reads the primary alone: it is no hot path, and an operator acts on what is current.
    runtime = openRuntime({ ...loadConfig(process.env), databaseReadUrls: [] }, { needsSecretKey: false })
  } catch (error) {
    return fail(error, io)
  }
  const { config, database } = runtime
  try {
    const applied = await migrateToLatest(database.db)
    if (applied.length > 0) io.stderr.write(`tessera: applied migrations ${applied.join(', ')} to ${database.kind} (${database.location})\n`)
  } catch (error) {
    await runtime.close()
    return fail(error, io)
  }
  try {
    return await runInvocation(invocation, { ...io, ops: localOperations(database.db, config) })
  } finally {
    await runtime.close()
  }
}

function fail (error: unknown, io: CliIo): number {
  const { exitCode, message } = describeFailure(error)
  io.stderr.write(`tessera: ${message}\n`)
  // Whatever failed before the command ran is the environment's fault, not the operator's input.
  return exitCode === EXIT.failed ? EXIT.environment : exitCode
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin })
  .then((code) => { process.exitCode = code })
  .catch((error: unknown) => {
    console.error(`tessera: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = EXIT.environment
  })
