import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { configError } from '../helpers/config-error.js'

describe('the limits\' environment', () => {
  it('reads every limit, 0 turning one off', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://cache:6379/2',
      RATE_LIMIT_MAX: '0',
      RATE_LIMIT_WINDOW: '10s',
      AUTH_FAILURES_PER_USER: '5',
      AUTH_FAILURES_PER_CLIENT: '0',
      AUTH_FAILURE_WINDOW: '1h',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      MAX_HEAP_USED_RATIO: '0',
      BODY_LIMIT_BYTES: '4096',
      MAX_HEADER_BYTES: '8192',
      MAX_URL_LENGTH: '2048',
      REQUEST_TIMEOUT_MS: '5000',
      HEADERS_TIMEOUT_MS: '5000',
      KEEP_ALIVE_TIMEOUT_MS: '1000'
    })
    expect(config.redisUrl).toBe('redis://cache:6379/2')
    expect(config.rateLimit).toEqual({ max: 0, windowSeconds: 10 })
    expect(config.authFailures).toEqual({ perUser: 5, perClient: 0, windowSeconds: 3600 })
    expect(config.underPressure).toMatchObject({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0 })
    expect(config.http).toEqual({ bodyLimitBytes: 4096, maxHeaderBytes: 8192, maxUrlLength: 2048, requestTimeoutMs: 5000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 1000 })
  })

  it('refuses a headers timeout longer than the request timeout (Node would throw at listen)', () => {
    const error = configError({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' })
    expect(error.variable).toBe('HEADERS_TIMEOUT_MS')
    expect(error.message).toBe('HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS (got 2000 > 1000)')
  })

  it('refuses windows of no time or of more than a day, negative limits and ratios above 1', () => {
    expect(configError({ AUTH_FAILURE_WINDOW: '0' }).message).toBe('AUTH_FAILURE_WINDOW must be between 1 second and 1 day')
    expect(configError({ RATE_LIMIT_WINDOW: '2d' }).variable).toBe('RATE_LIMIT_WINDOW')
    expect(configError({ AUTH_FAILURES_PER_USER: '-1' }).variable).toBe('AUTH_FAILURES_PER_USER')
    expect(configError({ MAX_HEAP_USED_RATIO: '1.5' }).variable).toBe('MAX_HEAP_USED_RATIO')
  })

  it('never echoes REDIS_URL, which may hold a password', () => {
    const error = configError({ REDIS_URL: 'http://user:s3cret@cache' })
    expect(error.variable).toBe('REDIS_URL')
    expect(error.message).not.toContain('s3cret')
  })
})
