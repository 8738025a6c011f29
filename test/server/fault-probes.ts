import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { buildApp, type App } from '../../src/app.js'
import { createDb } from '../../src/db/database.js'
import { createToken, newCaller } from '../families/astra/helpers.js'
import { createHostFactory, FUTURE, hfId, newTenant, userHeader } from '../families/conjur/helpers.js'
import { eventually } from '../helpers/eventually.js'
import { superAdminSession, tenantSession } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'

/** Requests of every family, for tests that take the database away and give it back. */

// Short on purpose: a fault must be answered within these, however the database is lost.
export const CONNECT_MS = 500
export const QUERY_MS = 800
const READINESS_MS = 1500
/** The longest any request may take during a fault: a wait for a pooled client, then one query, plus this busy machine's slack. */
export const ANSWER_WITHIN_MS = CONNECT_MS + QUERY_MS + 1200
/** Reconnection backs off to 5 s at most (credential-changes.ts); the pool reconnects on the next request. */
export const RECOVERY_WITHIN_MS = 10_000

/** An app on `databaseUrl` with the short timeouts above, a small pool and a one-second credential cache. */
export async function startFaultApp (databaseUrl: string): Promise<{ app: App, close: () => Promise<void> }> {
  const { db } = createDb({ databaseUrl, poolMax: 3, timeouts: { connectMs: CONNECT_MS, queryMs: QUERY_MS } })
  const app = await buildApp({
    config: testConfig({}, { readinessTimeoutMs: READINESS_MS, databaseTimeouts: { connectMs: CONNECT_MS, queryMs: QUERY_MS }, credentialCache: { seconds: 1, entries: 1000 } }),
    db
  })
  await app.ready()
  return { app, async close () { await app.close(); await db.destroy() } }
}

/** One request of one family: what it answers when the database is there, and its 503 body when not. */
export interface Probe {
  name: string
  request: () => InjectOptions
  ok: number
  unavailable: (response: LightMyRequestResponse) => unknown
}

const keystone = () => ({ error: { message: expect.any(String), code: 503, title: 'Service Unavailable' } })
const monitoring = (response: LightMyRequestResponse) => ({ type: 'systemFailureError', code: 503, message: 'Service unavailable', details: expect.any(String), txnId: response.headers['x-response-id'] })
const astra = (response: LightMyRequestResponse) => ({ type: 'about:blank', title: 'Service Unavailable', detail: expect.any(String), status: '503', correlationID: response.headers['x-correlation-id'] })
const conjur = () => ({ error: { code: 'service_unavailable', message: expect.any(String) } })
const tessera = () => ({ statusCode: 503, code: 'TESSERA_UNAVAILABLE', message: expect.any(String) })

export async function seedProbes (app: App): Promise<Probe[]> {
  const superAdmin = await superAdminSession(app)
  const tenant = await tenantSession(app, ['admin'])
  const caller = await newCaller(app)
  const astraToken = (await createToken(app, caller)).token as string
  const conjurTenant = await newTenant(app)
  const factory = await createHostFactory(app, conjurTenant)
  const conjurHeader = await userHeader(app, conjurTenant, conjurTenant.admin)
  return [
    {
      name: 'keystone login',
      request: () => ({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: superAdmin.user.user.name, password: superAdmin.user.password } } } }),
      ok: 200,
      unavailable: keystone
    },
    { name: 'keystone validate', request: () => ({ url: `/v2.0/tokens/${tenant.token}`, headers: { 'x-auth-token': superAdmin.token } }), ok: 200, unavailable: keystone },
    { name: 'agent tokens list', request: () => ({ url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': tenant.token } }), ok: 200, unavailable: monitoring },
    {
      name: 'agent token create',
      request: () => ({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': tenant.token }, payload: { label: 'fault' } }),
      ok: 201,
      unavailable: monitoring
    },
    { name: 'astra list', request: () => ({ url: `/accounts/${caller.accountId}/core/v1/users/${caller.userId}/tokens`, headers: { authorization: `Bearer ${astraToken}` } }), ok: 200, unavailable: astra },
    {
      name: 'conjur authenticate',
      request: () => ({ method: 'POST', url: `/authn/${conjurTenant.account.name}/${conjurTenant.admin.user.name}/authenticate`, payload: conjurTenant.admin.apiKey }),
      ok: 200,
      unavailable: conjur
    },
    {
      name: 'conjur host factory tokens',
      request: () => ({ method: 'POST', url: '/host_factory_tokens', headers: { authorization: conjurHeader }, payload: { host_factory: hfId(conjurTenant, factory), expiration: FUTURE } }),
      ok: 200,
      unavailable: conjur
    },
    { name: 'admin accounts', request: () => ({ url: '/admin/v1/accounts?limit=5', headers: { 'x-auth-token': superAdmin.token } }), ok: 200, unavailable: tessera },
    { name: 'readyz', request: () => ({ url: '/readyz' }), ok: 200, unavailable: tessera }
  ]
}

export interface Answer {
  probe: Probe
  response: LightMyRequestResponse
  ms: number
}

async function send (app: App, probe: Probe): Promise<Answer> {
  const started = performance.now()
  const response = await app.inject(probe.request())
  return { probe, response, ms: performance.now() - started }
}

/** Every probe `rounds` times at once: more requests than pooled clients, so some wait for one. */
export async function sendAll (app: App, probes: Probe[], rounds = 1): Promise<Answer[]> {
  return Promise.all(Array.from({ length: rounds }, () => probes.map((probe) => send(app, probe))).flat())
}

export function expectUnavailable ({ probe, response, ms }: Answer, withinMs: number): void {
  const label = `${probe.name}: ${response.statusCode} ${response.body} in ${Math.round(ms)} ms`
  expect(response.statusCode, label).toBe(503)
  expect(response.headers['retry-after'], label).toMatch(/^\d+$/)
  expect(response.json(), label).toEqual(probe.unavailable(response))
  expect(ms, label).toBeLessThan(withinMs)
}

/** Until every probe answers as it does with the database there; returns how long that took. */
export async function recovery (app: App, probes: Probe[], withinMs: number): Promise<number> {
  const started = Date.now()
  await eventually(async () => {
    for (const answer of await sendAll(app, probes)) expect(answer.response.statusCode, `${answer.probe.name}: ${answer.response.body}`).toBe(answer.probe.ok)
  }, withinMs, 100)
  return Date.now() - started
}
