import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { App } from '../../../src/app.js'
import type { AccountRow } from '../../../src/db/repositories/accounts.js'
import { insertUser, tenantSession, unique, type UserFixture } from '../../helpers/factories.js'

/** A Conjur token or API key: Crockford base32, lower case, at most 56 characters (spec §A5). */
export const CONJUR_SECRET = /^[0-9a-hjkmnp-tv-z]{40,56}$/
export const FUTURE = '2050-12-31T00:00:00Z'

export interface Tenant {
  account: AccountRow
  /** The account admin (Conjur's `admin` role): their session for the admin API. */
  adminToken: string
  admin: UserFixture
}

/** A fresh account with an admin user and a session for the admin API. */
export async function newTenant (app: App): Promise<Tenant> {
  const session = await tenantSession(app, ['admin'])
  return { account: session.account, adminToken: session.token, admin: session.user }
}

export function adminCall (app: App, tenant: Tenant, method: 'GET' | 'POST' | 'DELETE', path: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: `/admin/v1/accounts/${tenant.account.id}${path}`,
    headers: { 'x-auth-token': tenant.adminToken },
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] })
  })
}

/** Creates a host factory through the admin API; throws unless 201. */
export async function createHostFactory (app: App, tenant: Tenant, body: { id?: string, layers?: string[], owner?: string } = {}): Promise<string> {
  const id = body.id ?? unique('hf')
  const response = await adminCall(app, tenant, 'POST', '/host-factories', { id, layers: body.layers ?? ['db'], ...(body.owner ? { owner: body.owner } : {}) })
  if (response.statusCode !== 201) throw new Error(`host factory: ${response.statusCode} ${response.body}`)
  return id
}

export async function grant (app: App, tenant: Tenant, factoryId: string, role: string, privilege: string): Promise<void> {
  const response = await adminCall(app, tenant, 'POST', `/host-factories/${encodeURIComponent(factoryId)}/permissions`, { role, privilege })
  if (response.statusCode !== 204) throw new Error(`grant: ${response.statusCode} ${response.body}`)
}

/** A user of the tenant's account with no roles but `member`. */
export function newMember (app: App, tenant: Tenant): Promise<UserFixture> {
  return insertUser(app.db, { accountId: tenant.account.id, roles: ['member'] })
}

/** POST /authn/{account}/{login}/authenticate → the `Authorization` header value. */
export async function accessHeader (app: App, accountName: string, login: string, apiKey: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: `/authn/${encodeURIComponent(accountName)}/${encodeURIComponent(login)}/authenticate`,
    headers: { 'accept-encoding': 'base64' },
    payload: apiKey
  })
  if (response.statusCode !== 200) throw new Error(`authenticate: ${response.statusCode} ${response.body}`)
  return `Token token="${response.body}"`
}

export function userHeader (app: App, tenant: Tenant, user: UserFixture): Promise<string> {
  return accessHeader(app, tenant.account.name, user.user.name, user.apiKey)
}

export function hfId (tenant: Tenant, id: string): string {
  return `${tenant.account.name}:host_factory:${id}`
}

/** POST /host_factory_tokens with a JSON body. */
export function createTokens (app: App, authorization: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/host_factory_tokens', headers: { authorization, ...headers }, payload: params as InjectOptions['payload'] })
}

/** Creates tokens and returns them; throws unless 200. */
export async function newTokens (app: App, authorization: string, params: Record<string, unknown>): Promise<Array<{ token: string, expiration: string, cidr: string[] }>> {
  const response = await createTokens(app, authorization, { expiration: FUTURE, ...params })
  if (response.statusCode !== 200) throw new Error(`tokens: ${response.statusCode} ${response.body}`)
  return response.json()
}

export function createHost (app: App, token: string, body: string | Record<string, unknown>, options: { remoteAddress?: string, headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/host_factories/hosts',
    headers: { authorization: `Token token="${token}"`, ...(typeof body === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...options.headers },
    payload: body as InjectOptions['payload'],
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {})
  })
}

/** An empty reply: no body at all. */
export function expectEmpty (response: LightMyRequestResponse, status: number): void {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.body).toBe('')
}

export function expectArgumentError (response: LightMyRequestResponse, message: string, code = 'argument_error'): void {
  expect(response.statusCode, response.body).toBe(422)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.json()).toEqual({ error: { code, message } })
}

export function notFoundBody (fullId: string, message: string, target: string | null) {
  return { error: { code: 'not_found', message, target, details: { code: 'not_found', target: 'id', message: fullId } } }
}

/** Conjur's middleware refusal: text/plain with a short message. */
export function expectMiddleware (response: LightMyRequestResponse, status: number, message: string): void {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^text\/plain/)
  expect(response.body).toBe(message)
}
