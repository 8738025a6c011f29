import type { FastifyRequest } from 'fastify'
import type { LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * Path segments that are secrets themselves: token ids in validation and agent-token URLs.
 * `\/+`: the router ignores doubled slashes, so `/tokens//<id>` reaches the same route.
 */
const SECRET_SEGMENT = /(\/(?:tokens|agent_tokens|host_factory_tokens)\/+)[^/?#]+/g
/** Agent-token list markers are token ids too. */
const AGENT_TOKEN_QUERY = /(\/agent_tokens\/*\?)([^#]*)/
const MARKER_PARAMETER = /(^|&)(marker=)[^&]*/g

export function redactUrl (url: string): string {
  return url.replace(SECRET_SEGMENT, '$1[redacted]')
    .replace(AGENT_TOKEN_QUERY, (_, path: string, query: string) => path + query.replace(MARKER_PARAMETER, '$1$2[redacted]'))
}

function prettyAvailable (): boolean {
  try {
    import.meta.resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/** pino options: request ids, no secrets (auth headers, passwords, token ids in URLs). */
export function loggerOptions (config: Pick<Config, 'logLevel'>, isTty = false): LoggerOptions {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-auth-token"]', 'req.headers.cookie', '*.password', '*.apiKey', '*.token'],
      censor: '[redacted]'
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip
      })
    },
    ...(isTty && prettyAvailable() ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
}
