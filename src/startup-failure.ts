import { ConfigError } from './config.js'

/** The one line the server prints on stderr when it cannot start, after `tessera: `. */
export function describeStartupFailure (error: unknown): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  return `could not start: ${error instanceof Error ? error.message : String(error)}`
}
