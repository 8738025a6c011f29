import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { App } from '../../../src/app.js'
import { PROBLEMS, type ProblemNumber } from '../../../src/families/astra/dialect.js'
import { insertAccount, insertUser, login, type UserFixture } from '../../helpers/factories.js'

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
export const ASTRA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}Z$/
export const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/
export const TOKEN_TYPE = 'application/astra-token'
export const TOKEN_MEDIA = 'application/astra-token+json'

/** A user of an Astra-addressable account (UUID id), logged in with a session scoped to it. */
export interface Caller {
  accountId: string
  userId: string
  user: UserFixture
  /** A Tessera session token (a bearer credential here too). */
  token: string
}

export async function newAccount (app: App): Promise<string> {
  return (await insertAccount(app.db, { id: randomUUID() })).id
}

export async function callerOn (app: App, accountId: string, roles: string[] = ['member']): Promise<Caller> {
  const user = await insertUser(app.db, { accountId, roles })
  const session = await login(app, { username: user.user.name, password: user.password, tenantId: accountId })
  return { accountId, userId: user.user.id, user, token: session.token }
}

/** A user on a fresh account. */
export async function newCaller (app: App, roles: string[] = ['member']): Promise<Caller> {
  return callerOn(app, await newAccount(app), roles)
}

export const collectionPath = (accountId: string, userId: string) => `/accounts/${accountId}/core/v1/users/${userId}/tokens`
export const tokenPath = (accountId: string, userId: string, id: string) => `${collectionPath(accountId, userId)}/${id}`

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

export function call (app: App, bearer: string | undefined, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method,
    url,
    headers: { ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }), ...headers },
    ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object })
  })
}

export function tokenBody (name: string, extra: Record<string, unknown> = {}) {
  return { type: TOKEN_TYPE, version: '1.0', name, ...extra }
}

/** POST a token for `userId` as `caller`; returns the 201 body (with the secret). */
export async function createToken (app: App, caller: Caller, name = `token-${randomUUID().slice(0, 8)}`, extra: Record<string, unknown> = {}, userId = caller.userId): Promise<any> {
  const response = await call(app, caller.token, 'POST', collectionPath(caller.accountId, userId), tokenBody(name, extra))
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** A whole problem-details reply, field by field: status, media type, correlation id in body and header. */
export function expectProblem (response: LightMyRequestResponse, number: ProblemNumber, extra: Record<string, unknown> = {}): void {
  const [status, title, detail] = PROBLEMS[number]
  expect(response.statusCode, response.body).toBe(Number(status))
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8')
  const correlationId = response.headers['x-correlation-id']
  expect(correlationId).toMatch(UUID_V4)
  expect(response.headers['x-request-id']).toBe(correlationId)
  expect(response.json()).toEqual({ type: `https://astra.netapp.io/problems/${number}`, title, detail, status, correlationID: correlationId, ...extra })
}
