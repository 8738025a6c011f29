import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { TooLarge, Unavailable, UriTooLong } from '../core/errors.js'
import { refuseByLimit } from './limit-refusal.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route answers under pressure too (the health probes). */
    shedUnderPressure?: boolean
  }
}

/**
 * Refuses work the process cannot take: 503 with Retry-After, in the family's dialect, while the
 * event loop lags or the heap is nearly full (@fastify/under-pressure), and 414 for URLs longer
 * than MAX_URL_LENGTH, 413 for a declared body over BODY_LIMIT_BYTES. Header and time limits are
 * the HTTP server's options (app.ts).
 */
export default fp(async function loadShedding (app: FastifyInstance) {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, sampleIntervalMs, retryAfterSeconds } = app.config.underPressure
  if (maxEventLoopDelayMs > 0 || maxHeapUsedBytes > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      maxHeapUsedBytes,
      sampleInterval: sampleIntervalMs,
      pressureHandler: async (request, _reply, type) => {
        if (request.routeOptions.config.shedUnderPressure === false) return
        request.log.warn({ pressure: type }, 'shedding load')
        throw refuseByLimit(request, 'under-pressure', new Unavailable('The server is overloaded; retry shortly.', { retryAfterSeconds }))
      }
    })
  }
  const { maxUrlLength, bodyLimitBytes } = app.config.http
  // Callback-style, as every hook run on every request: an async one costs a promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.length > maxUrlLength) return done(new UriTooLong(`The URL must not exceed ${maxUrlLength} characters.`))
    // BODY_LIMIT_BYTES caps the families' own limits too (theirs apply while a body is read).
    if (Number(request.headers['content-length'] ?? 0) > bodyLimitBytes) return done(new TooLarge(undefined, bodyLimitBytes))
    done()
  })
}, { name: 'load-shedding' })
