import { loadConfig } from './config.js'
import { migrateToLatest } from './db/migrate.js'
import { answerWithoutDatabase, describeFailure, EXIT, parseInvocation, runInvocation, type CliIo } from './cli/index.js'
import { openRuntime, type Runtime } from './runtime.js'

/** `npm run tessera -- <command>` (`node dist/cli.js` in the image): operator commands on the database. */
async function main (argv: string[], io: CliIo): Promise<number> {
  const invocation = parseInvocation(argv)
  if (invocation.kind !== 'command') return answerWithoutDatabase(invocation, io)

  let runtime: Runtime
  try {
    runtime = openRuntime(loadConfig(process.env), { needsSecretKey: false })
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
    return await runInvocation(invocation, { ...io, db: database.db, config })
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
