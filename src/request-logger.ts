import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/**
 * A request's logger that becomes pino's child of the server logger on its first line at an
 * enabled level. Fastify makes a child for every request, serialising its bindings (the request
 * id), though at LOG_LEVEL=warn a request that succeeds never logs: that was a few µs of every
 * request for nothing.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  readonly #threshold: number
  #child: Logger | undefined

  constructor (parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
    this.#threshold = parent.levels.values[options.level ?? parent.level] ?? 0
  }

  get #logger (): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options))
  }

  get level (): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level
  }

  set level (level: string) {
    this.#logger.level = level
  }

  #write (level: Level, args: unknown[]): void {
    if (this.#child === undefined && this.#parent.levels.values[level]! < this.#threshold) return
    const logger = this.#logger
    ;(logger[level] as (...line: unknown[]) => void).apply(logger, args)
  }

  trace (...args: unknown[]): void { this.#write('trace', args) }
  debug (...args: unknown[]): void { this.#write('debug', args) }
  info (...args: unknown[]): void { this.#write('info', args) }
  warn (...args: unknown[]): void { this.#write('warn', args) }
  error (...args: unknown[]): void { this.#write('error', args) }
  fatal (...args: unknown[]): void { this.#write('fatal', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options)
  }

  isLevelEnabled (level: string): boolean {
    return this.#child?.isLevelEnabled(level) ?? this.#parent.levels.values[level]! >= this.#threshold
  }
}

/** Fastify's childLoggerFactory for a pino server logger: request loggers made when first used. */
export const lazyRequestLoggers: NonNullable<FastifyServerOptions['childLoggerFactory']> = function (logger, bindings, options) {
  const parent = logger as unknown as Logger
  // Only pino has levels to check; any other logger gets its child at once.
  if (typeof parent.levels?.values !== 'object') return logger.child(bindings, options)
  return new LazyRequestLogger(parent, bindings, options)
}
