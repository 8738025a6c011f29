import { hostFailed } from './multi-host.js'

/** SQLSTATE checks shared by pg and PGlite errors (both carry `code`). */
function sqlState (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isUniqueViolation (error: unknown): boolean {
  return sqlState(error) === '23505'
}

/**
 * An error one row's values cause: a data exception (class 22), an integrity constraint
 * violation (class 23) or a trigger's raise (P0001). Not the database's state: retried alone,
 * the other rows of the same statement would succeed.
 */
export function isRowError (error: unknown): boolean {
  const code = sqlState(error)
  return code !== undefined && (code.startsWith('22') || code.startsWith('23') || code === 'P0001')
}

/**
 * PostgreSQL refused the text of a value, not the statement: U+0000 (22021, `invalid byte
 * sequence for encoding "UTF8": 0x00`) or a `\u0000` in jsonb (22P05, `unsupported Unicode
 * escape sequence`). Input carrying such text is the client's fault.
 */
export function isUnstorableText (error: unknown): boolean {
  const code = sqlState(error)
  return code === '22021' || code === '22P05'
}

export function isForeignKeyViolation (error: unknown): boolean {
  return sqlState(error) === '23503'
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE',
  // Operator intervention: the backend was terminated (57P01), the server crashed or is starting
  // (57P02, 57P03), the database was dropped (57P04), the session idled out (57P05).
  '57P01', '57P02', '57P03', '57P04', '57P05', '53300',
  // The server answers but refuses the connection: its database was dropped or renamed (3D000),
  // or the role or its password no longer works (28000, 28P01). Every request would fail alike.
  '3D000', '28000', '28P01',
  // A write reached a server in recovery: a standby, or a primary demoted under a failover.
  '25006'])
/** SQLSTATE class 08: connection exceptions (08000, 08003, 08006, 08P01…). */
const CONNECTION_EXCEPTION_CLASS = '08'
/** What pg and Kysely say when a connection is gone, or when a client broken by that is used again. */
const CONNECTION_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|connection has been discarded|driver has already been destroyed|Cannot use a pool after calling end/i

/** The database is unreachable or refusing work: a 503, not a bug. */
export function isDatabaseUnavailable (error: unknown): boolean {
  const code = sqlState(error)
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS))) return true
  // No host of DATABASE_URL's list took the connection (unreachable, or each a standby).
  if (hostFailed(error)) return true
  const causes = error instanceof AggregateError ? error.errors : []
  if (causes.some(isDatabaseUnavailable)) return true
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message)
}
