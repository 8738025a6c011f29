import underPressure, { TYPE_EVENT_LOOP_DELAY } from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Unavailable, UriTooLong } from '../../core/errors.js'
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
 * than MAX_URL_LENGTH. Header, body and time limits are the HTTP server's and routes' options (app.ts).
 */
export default fp(async function loadShedding (app: FastifyInstance) {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, sampleIntervalMs, retryAfterSeconds } = app.config.underPressure
  if (maxEventLoopDelayMs > 0 || maxHeapUsedBytes > 0) {
    // The samples taken around ready measure the start itself (plugins loading, schemas compiling:
    // one long stall), not load; the PGlite start made a replica shed its first second of requests.
    // Two intervals after ready, the sample held covers only time spent serving. Read on the
    // app's clock, so a test decides when that is rather than racing it.
    let lagCountsFrom = Infinity
    app.addHook('onReady', (done) => { lagCountsFrom = app.clock().getTime() + 2 * sampleIntervalMs; done() })
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      maxHeapUsedBytes,
      sampleInterval: sampleIntervalMs,
      pressureHandler: async (request, _reply, type) => {
        if (request.routeOptions.config.shedUnderPressure === false) return
        if (type === TYPE_EVENT_LOOP_DELAY && app.clock().getTime() < lagCountsFrom) return
        request.log.warn({ pressure: type }, 'shedding load')
        throw refuseByLimit(request, 'under-pressure', new Unavailable('The server is overloaded; retry shortly.', { retryAfterSeconds }))
      }
    })
  }
  const { maxUrlLength } = app.config.http
  // Callback-style, as every hook run on every request: an async one costs a promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.length > maxUrlLength) return done(new UriTooLong(`The URL must not exceed ${maxUrlLength} characters.`))
    done()
  })
}, { name: 'load-shedding' })
