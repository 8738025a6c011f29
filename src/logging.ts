import type { FastifyRequest } from 'fastify'
import type { LoggerOptions } from 'pino'
import type { Config } from './config.js'

const percentEncoded = (char: string) => `%${char.charCodeAt(0).toString(16)}`

/** `word` as a pattern matching each character in either case, as written or percent-encoded (`%74`, `%54` for t); use with the `i` flag. */
function anyEncoding (word: string): string {
  return [...word].map((char) => `(?:${char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|${percentEncoded(char.toLowerCase())}|${percentEncoded(char.toUpperCase())})`).join('')
}

/** What ends a path segment, or a URL quoted in a message or a JSON log line. */
const SEGMENT_END = '/?#"\'\\s'
/** Path separators, as the router forgives them (doubled) or as they reach no route at all (`%2F`, a backslash). */
const SEPARATOR = '(?:/|%2f|\\\\)+'
/**
 * Session and agent tokens hold 48 hex digits or more (account ids hold 32, user ids are
 * UUIDs): redacted wherever they appear, under whatever path they were sent.
 */
const LONG_HEX = /[0-9a-f]{48,}/gi

/** Where the families' secrets appear: the words of a path before a secret segment, and query parameters. */
export interface SecretPlaces {
  secretPathSegments?: ReadonlyArray<readonly string[]>
  secretQueryParameters?: readonly string[]
}

/**
 * A function replacing every secret part of a text (a URL, a message, a whole log line) with
 * [redacted]: the segment after each family's secret path (`/v2.0/tokens/<id>`,
 * `/agent_tokens/<id>`) in any case, percent-encoded or not, with `;parameters`, and the
 * values of its secret query parameters. Source paths in stack traces stay readable.
 */
export function secretRedactor (places: readonly SecretPlaces[]): (text: string) => string {
  const paths = places.flatMap((place) => place.secretPathSegments ?? []).map((words) => words.map(anyEncoding).join(SEPARATOR))
  const parameters = places.flatMap((place) => place.secretQueryParameters ?? []).map(anyEncoding)
  const segment = paths.length === 0 ? null : new RegExp(`((?:/|%2f)(?:${paths.join('|')})(?:;[^${SEGMENT_END}]*)?${SEPARATOR})[^${SEGMENT_END}]+`, 'gi')
  const parameter = parameters.length === 0 ? null : new RegExp(`([?&;](?:${parameters.join('|')})=)[^&#"'\\s]*`, 'gi')
  return (text) => {
    let redacted = text
    if (segment) redacted = redacted.replace(segment, '$1[redacted]')
    if (parameter) redacted = redacted.replace(parameter, '$1[redacted]')
    return redacted.replace(LONG_HEX, '[redacted]')
  }
}

function prettyAvailable (): boolean {
  try {
    import.meta.resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/**
 * pino options: request ids, no secrets. Auth headers, passwords and API keys are redacted by
 * path; token ids are redacted from every line as written, whichever field or message carries
 * them (an error message may quote the URL a client sent).
 */
export function loggerOptions (config: Pick<Config, 'logLevel'>, families: readonly SecretPlaces[], isTty = false): LoggerOptions {
  const redactSecrets = secretRedactor(families)
  return {
    level: config.logLevel,
    hooks: { streamWrite: redactSecrets },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-auth-token"]', 'req.headers.cookie', '*.password', '*.apiKey', '*.token'],
      censor: '[redacted]'
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactSecrets(request.url),
        host: request.host,
        remoteAddress: request.ip
      })
    },
    ...(isTty && prettyAvailable() ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
}
