/** SQLSTATE checks shared by pg and PGlite errors (both carry `code`). */
function sqlState (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isUniqueViolation (error: unknown): boolean {
  return sqlState(error) === '23505'
}

export function isForeignKeyViolation (error: unknown): boolean {
  return sqlState(error) === '23503'
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
  // The server answers but refuses the connection: its database was dropped or renamed (3D000),
  // or the role or its password no longer works (28000, 28P01). Every request would fail alike.
  '3D000', '28000', '28P01'])
const CONNECTION_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|driver has already been destroyed|Cannot use a pool after calling end/i

/** The database is unreachable or refusing work: a 503, not a bug. */
export function isDatabaseUnavailable (error: unknown): boolean {
  const code = sqlState(error)
  if (code !== undefined && CONNECTION_CODES.has(code)) return true
  const causes = error instanceof AggregateError ? error.errors : []
  if (causes.some(isDatabaseUnavailable)) return true
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message)
}
