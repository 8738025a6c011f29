import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { lazyRequestLoggers } from '../src/request-logger.js'
import { capturedLog } from './helpers/captured-log.js'

/** A Fastify app with the lazy request loggers over pino at `level`, and the lines it wrote. */
async function appLoggingAt (level: string) {
  const { log, lines } = capturedLog(level)
  let requests = 0
  const app = Fastify({ loggerInstance: log, childLoggerFactory: lazyRequestLoggers, genReqId: () => `req-${++requests}` })
  app.get('/quiet', async (request) => {
    request.log.info({ detail: 'info' }, 'an info line')
    return { level: request.log.level, infoEnabled: request.log.isLevelEnabled('info') }
  })
  app.get('/loud', async (request) => {
    request.log.warn({ detail: 'warn' }, 'a warn line')
    return {}
  })
  app.get('/route-level', { logLevel: 'error' }, async (request) => {
    request.log.warn('dropped: below the route level')
    request.log.error('kept')
    return { level: request.log.level }
  })
  app.get('/child', async (request) => {
    request.log.child({ extra: 'x' }).warn('from a child')
    return {}
  })
  await app.ready()
  return { app, lines }
}

const messages = (lines: Record<string, unknown>[]) => lines.map((line) => line.msg)

describe('request loggers made on first use (src/request-logger.ts)', () => {
  it('at warn, a request logging below warn writes nothing, and says its level', async () => {
    const { app, lines } = await appLoggingAt('warn')
    const response = await app.inject({ url: '/quiet' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ level: 'warn', infoEnabled: false })
    expect(lines).toEqual([])
    await app.close()
  })

  it('at warn, a warn line carries the request id and its fields', async () => {
    const { app, lines } = await appLoggingAt('warn')
    await app.inject({ url: '/quiet' })
    expect((await app.inject({ url: '/loud' })).statusCode).toBe(200)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, reqId: 'req-2', detail: 'warn', msg: 'a warn line' })
    await app.close()
  })

  it('keeps a route\'s own log level', async () => {
    const { app, lines } = await appLoggingAt('info')
    const response = await app.inject({ url: '/route-level' })
    expect(response.json()).toEqual({ level: 'error' })
    expect(messages(lines)).toEqual(['kept'])
    expect(lines[0]).toMatchObject({ level: 50, reqId: 'req-1' })
    await app.close()
  })

  it('a child of a request logger keeps the request id', async () => {
    const { app, lines } = await appLoggingAt('warn')
    await app.inject({ url: '/child' })
    expect(lines).toEqual([expect.objectContaining({ level: 40, reqId: 'req-1', extra: 'x', msg: 'from a child' })])
    await app.close()
  })

  it('at info, Fastify\'s request lines and the route\'s come out in order, each with the request id', async () => {
    const { app, lines } = await appLoggingAt('info')
    await app.inject({ url: '/quiet' })
    expect(messages(lines)).toEqual(['incoming request', 'an info line', 'request completed'])
    expect(lines.map((line) => line.reqId)).toEqual(['req-1', 'req-1', 'req-1'])
    expect(lines[1]).toMatchObject({ level: 30, detail: 'info' })
    await app.close()
  })
})
