import type { ConfigError } from '../config.js'
import { DomainError } from '../core/errors.js'
import { isDatabaseUnavailable } from '../db/errors.js'
import type { MigrationFailed } from '../db/migrate.js'
import { Cancelled, EXIT, UsageError } from './command.js'
import { RemoteFailure } from './remote/client.js'

function sqlState (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

function messageOf (error: unknown): string {
  // pg reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError with no message.
  if (error instanceof AggregateError && !error.message) return error.errors.map(messageOf).join('; ')
  return error instanceof Error ? error.message : String(error)
}

/*
 * Known by name, not by class: their modules (env-schema, the migrator) load only for a command
 * on the database, and a command through a server should start without them.
 */
const isConfigError = (error: unknown): error is ConfigError => error instanceof Error && error.name === 'ConfigError'
const isMigrationFailed = (error: unknown): error is MigrationFailed => error instanceof Error && error.name === 'MigrationFailed'

/** The exit code and the one-line message for an error that ended a command. */
export function describeFailure (error: unknown): { exitCode: number, message: string } {
  if (error instanceof UsageError) return { exitCode: EXIT.usage, message: error.message }
  if (error instanceof RemoteFailure) return { exitCode: error.exitCode, message: error.message }
  if (error instanceof DomainError || error instanceof Cancelled) return { exitCode: EXIT.failed, message: error.message }
  if (isConfigError(error)) return { exitCode: EXIT.environment, message: `configuration error: ${error.message}` }
  // The first query a command sends is the migration check: an unreachable database shows there.
  const cause = isMigrationFailed(error) && isDatabaseUnavailable(error.cause) ? error.cause : error
  if (isDatabaseUnavailable(cause)) return { exitCode: EXIT.environment, message: `database unavailable: ${messageOf(cause)}` }
  if (isMigrationFailed(error)) return { exitCode: EXIT.environment, message: `database error: ${error.message}` }
  const state = sqlState(error)
  // Classes 22 (data exception) and 23 (integrity constraint): the input broke a rule of the schema.
  if (state?.startsWith('22') || state?.startsWith('23')) return { exitCode: EXIT.failed, message: `invalid input: ${messageOf(error)}` }
  if (state !== undefined) return { exitCode: EXIT.environment, message: `database error: ${messageOf(error)}` }
  return { exitCode: EXIT.failed, message: `unexpected error: ${messageOf(error)}` }
}
