import { ConfigError } from './config.js'

/** What a failure at start is read against: where the server listens and which database it uses. */
export interface StartupSettings {
  port: number
  host: string
  databaseUrl: string | undefined
}

type SystemError = Error & { code?: unknown, syscall?: unknown, cause?: unknown }

/** Network errors of a connection to PostgreSQL, in the words a newcomer would use. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running, on that port?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset'
}

/** pg's own words when DATABASE_CONNECT_TIMEOUT_MS runs out (the pool's, then the client's). */
const CONNECT_TIMEOUT = /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout)$/

/** pg's words when the connection ends before the server's first answer (the timeout cut it, or the peer closed it). */
const CUT_OFF = /^Connection terminated unexpectedly$/

/** PostgreSQL's answers that mean DATABASE_URL is wrong: bad credentials (class 28), no such database. */
const REFUSED_BY_SERVER = /^(28|3D000$)/

/** The error and each cause under it, outermost first (migrations wrap the driver's error). */
function * causes (error: unknown): Generator<SystemError> {
  for (let depth = 0; error instanceof Error && depth < 10; depth++) {
    yield error as SystemError
    error = (error as SystemError).cause
  }
}

/** host:port of DATABASE_URL: never its user or password. */
function serverOf (databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`
  } catch {
    return 'the server'
  }
}

/** A failure to reach or log in to the PostgreSQL of DATABASE_URL, said as one; undefined for any other failure. */
export function databaseProblem (error: unknown, databaseUrl: string): string | undefined {
  for (const cause of causes(error)) {
    const code = typeof cause.code === 'string' ? cause.code : ''
    const reason = UNREACHABLE[code] ??
      (CONNECT_TIMEOUT.test(cause.message) ? 'no answer within DATABASE_CONNECT_TIMEOUT_MS' : undefined) ??
      (CUT_OFF.test(cause.message) ? 'the connection ended before PostgreSQL answered (no answer within DATABASE_CONNECT_TIMEOUT_MS, or not PostgreSQL on that port)' : undefined)
    if (reason !== undefined) return `cannot reach PostgreSQL at ${serverOf(databaseUrl)} (DATABASE_URL): ${reason}`
    // The server's message names the user or the database, never the password.
    if (REFUSED_BY_SERVER.test(code)) return `PostgreSQL at ${serverOf(databaseUrl)} refused DATABASE_URL: ${cause.message}`
  }
  return undefined
}

function listenProblem (error: unknown, settings: StartupSettings): string | undefined {
  const cause = [...causes(error)].find((candidate) => candidate.syscall === 'listen')
  if (cause === undefined) return undefined
  switch (cause.code) {
    case 'EADDRINUSE': return `PORT ${settings.port} is already in use on ${settings.host}: stop what listens there, or set PORT to another port`
    case 'EACCES': return `PORT ${settings.port} needs privileges this user does not have (ports below 1024 do): set PORT to 1024 or above`
    case 'EADDRNOTAVAIL': return `HOST ${settings.host} is not an address of this machine: set HOST to one of its addresses (0.0.0.0 for all)`
    default: return `cannot listen on ${settings.host}:${settings.port} (HOST, PORT): ${cause.message}`
  }
}

/** The one line the server prints on stderr when it cannot start, after `tessera: `. */
export function describeStartupFailure (error: unknown, settings?: StartupSettings): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  const problem = settings && (listenProblem(error, settings) ?? (settings.databaseUrl === undefined ? undefined : databaseProblem(error, settings.databaseUrl)))
  if (problem !== undefined) return problem
  return `could not start: ${error instanceof Error ? error.message : String(error)}`
}
