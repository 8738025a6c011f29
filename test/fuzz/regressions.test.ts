import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { sendRaw } from './raw-http.js'

/** What the fuzzer found, kept as plain cases. */
let t: TestApp
let port: number
beforeAll(async () => {
  t = await setupTestApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as { port: number }).port
})
afterAll(() => t?.close())

describe('errors of an unknown route are in the dialect of the family owning its path', () => {
  it('Astra: a NUL in the path of a method the route does not have', async () => {
    const reply = await t.app.inject({ method: 'POST', url: '/accounts/%00/core/v1/users/u/tokens/t' })
    expect(reply.statusCode).toBe(400)
    expect(reply.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(reply.json()).toEqual({
      type: 'about:blank', title: 'Bad Request', detail: 'params/* must not contain U+0000 or an unpaired UTF-16 surrogate', status: '400', correlationID: reply.headers['x-correlation-id']
    })
  })

  it('Keystone and Monitoring: a NUL in an unknown path', async () => {
    const keystone = await t.app.inject({ url: '/v2.0/nothing%00here' })
    expect(keystone.statusCode).toBe(400)
    expect(keystone.json()).toEqual({ error: { code: 400, title: 'Bad Request', message: 'params/* must not contain U+0000 or an unpaired UTF-16 surrogate' } })
    const monitoring = await t.app.inject({ url: '/v1.0/1/nothing%00' })
    expect(monitoring.statusCode).toBe(400)
    expect(monitoring.json()).toEqual({
      type: 'badRequest', code: 400, message: 'Validation error for key \'*\'', details: '* must not contain U+0000 or an unpaired UTF-16 surrogate', txnId: monitoring.headers['x-response-id']
    })
  })
})

it('a HEAD request Node\'s parser refuses gets the error\'s headers and no body', async () => {
  const reply = await sendRaw(port, Buffer.from('HEAD /v2.0 HTTP/1.1\r\nHost: localhost\r\nBad Name: x\r\nConnection: close\r\n\r\n', 'latin1'))
  expect(reply?.statusCode).toBe(400)
  expect(reply?.headers['content-length']).toMatch(/^[1-9]\d*$/)
  expect(reply?.body).toBe('')
  const get = await sendRaw(port, Buffer.from('GET /v2.0 HTTP/1.1\r\nHost: localhost\r\nBad Name: x\r\nConnection: close\r\n\r\n', 'latin1'))
  expect(get?.statusCode).toBe(400)
  expect(JSON.parse(get!.body)).toEqual({ error: { code: 400, title: 'Bad Request', message: 'The request is not valid HTTP (Invalid header token).' } })
  expect(reply?.headers['content-length']).toBe(get?.headers['content-length'])
})
