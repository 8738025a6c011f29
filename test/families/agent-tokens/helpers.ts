import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { App } from '../../../src/app.js'

/** `.rh-<4>.h-<host>.r-<request id>.c-<counter>.ts-<epoch ms>.v-<version>` (spec §10.2). */
export const TXN_ID = /^\.rh-[a-z0-9]{4}\.h-[A-Za-z0-9-]+\.r-[0-9a-f-]{36}\.c-\d+\.ts-\d{13}\.v-\d+\.\d+\.\d+$/
export const JSON_TYPE = 'application/json; charset=UTF-8'

export const tokenIdPattern = (tenantId: string) => new RegExp(`^[0-9a-f]{64}\\.${tenantId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)

/** The headers every Monitoring reply carries, errors included. */
export function expectMonitoringHeaders (response: LightMyRequestResponse): void {
  const txnId = response.headers['x-response-id']
  expect(txnId).toMatch(TXN_ID)
  expect(String(txnId)).toContain(`.r-${String(response.headers['x-request-id'])}.`)
  expect(response.headers['x-ratelimit-limit']).toBe('50000')
  expect(response.headers['x-ratelimit-remaining']).toBe('50000')
  expect(response.headers['x-ratelimit-window']).toBe('24 hours')
  expect(response.headers['x-ratelimit-type']).toBe('global')
}

/** An empty 201/204: `Content-Type: text/plain`, `Content-Length: 0`, no body. */
export function expectEmptyReply (response: LightMyRequestResponse, statusCode: 201 | 204): void {
  expect(response.statusCode, response.body).toBe(statusCode)
  expect(response.headers['content-type']).toBe('text/plain')
  expect(response.headers['content-length']).toBe('0')
  expect(response.body).toBe('')
  expectMonitoringHeaders(response)
}

/** A whole Monitoring error body; `details` may be a matcher. */
export function expectError (response: LightMyRequestResponse, code: number, type: string, message: string, details: unknown): void {
  expect(response.statusCode, response.body).toBe(code)
  expect(response.headers['content-type']).toBe(JSON_TYPE)
  expectMonitoringHeaders(response)
  expect(response.json()).toEqual({ type, code, message, details, txnId: response.headers['x-response-id'] })
}

export interface Caller {
  token: string
  tenantId: string
}

export function call (app: App, caller: Caller | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) {
  return app.inject({
    method,
    url: path,
    headers: caller ? { 'x-auth-token': caller.token } : {},
    ...(payload === undefined ? {} : { payload: payload as object })
  })
}

export const collection = (tenantId: string) => `/v1.0/${tenantId}/agent_tokens`

/** POST a token and return its id (X-Object-ID); throws unless 201. */
export async function createToken (app: App, caller: Caller, body: unknown = {}): Promise<string> {
  const response = await call(app, caller, 'POST', collection(caller.tenantId), body)
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`)
  return String(response.headers['x-object-id'])
}
