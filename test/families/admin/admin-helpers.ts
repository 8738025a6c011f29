import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { App } from '../../../src/app.js'

type Method = NonNullable<InjectOptions['method']>

/** An admin API call with the session token as X-Auth-Token. */
export function call (app: App, token: string | undefined, method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `/admin/v1${url}`,
    headers: token === undefined ? {} : { 'x-auth-token': token },
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] })
  })
}

const CODES: Record<number, string> = {
  400: 'TESSERA_INVALID_INPUT',
  401: 'TESSERA_UNAUTHENTICATED',
  403: 'TESSERA_FORBIDDEN',
  404: 'TESSERA_NOT_FOUND',
  409: 'TESSERA_CONFLICT',
  413: 'TESSERA_TOO_LARGE'
}

/** The whole error body of the default dialect. */
export function errorBody (statusCode: number, message: string) {
  return { statusCode, code: CODES[statusCode], message }
}

export const UNAUTHENTICATED = errorBody(401, 'The request you have made requires authentication.')
export const FORBIDDEN = errorBody(403, 'You are not authorized to perform the requested action.')

/** POST /v2.0/tokens with an API key; the status tells whether the key works. */
export function loginWithApiKey (app: App, username: string, apiKey: string, tenantId?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v2.0/tokens',
    payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username, apiKey }, ...(tenantId === undefined ? {} : { tenantId }) } }
  })
}

/** POST /v2.0/tokens with a password; the status tells whether it works. */
export function loginWithPassword (app: App, username: string, password: string, tenantId?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v2.0/tokens',
    payload: { auth: { passwordCredentials: { username, password }, ...(tenantId === undefined ? {} : { tenantId }) } }
  })
}
