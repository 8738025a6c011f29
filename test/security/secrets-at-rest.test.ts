import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { login, superAdminSession, unique } from '../helpers/factories.js'
import { dumpTables } from '../helpers/tables.js'
import { tracedApp, type TracedApp } from '../helpers/traced-app.js'

/**
 * Every kind of secret Tessera issues or is given, through the HTTP API with the log at trace;
 * then every table (each row as text) and every log line are searched for them in plaintext,
 * base64 and hex. Vitest gives each file its own database, so "after the whole suite" is this:
 * one workload that goes through every route that issues or receives a secret.
 */
let traced: TracedApp
let app: App
beforeAll(async () => {
  traced = await tracedApp()
  app = traced.app
})
afterAll(() => traced?.close())

async function send (expected: number, options: InjectOptions) {
  const reply = await app.inject(options)
  expect(reply.statusCode, `${options.method ?? 'GET'} ${options.url}: ${reply.body}`).toBe(expected)
  return reply
}

/** The forms a secret could leak in: as given, base64 (both alphabets) and hex. */
function encodings (secret: string): string[] {
  const bytes = Buffer.from(secret)
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')]
}

it('keeps no issued secret, password or API key in plaintext in any table or log line', async () => {
  const secrets: Record<string, string> = {}
  const admin = await superAdminSession(app)
  const xAuth = { 'x-auth-token': admin.token }
  secrets.adminSession = admin.token

  // Passwords and API keys: a user created with a password, her key rotated, her password changed.
  const account = (await send(201, { method: 'POST', url: '/admin/v1/accounts', headers: xAuth, payload: { name: unique('acme') } })).json()
  secrets.password = `pw-${unique('correct-horse')}`
  const created = (await send(201, { method: 'POST', url: `/admin/v1/accounts/${account.id}/users`, headers: xAuth, payload: { name: unique('alice'), password: secrets.password, roles: ['member', 'admin'] } })).json()
  secrets.firstApiKey = created.apiKey
  secrets.apiKey = (await send(200, { method: 'POST', url: `/admin/v1/accounts/${account.id}/users/${created.id}/api-key`, headers: xAuth })).json().apiKey
  secrets.oldPassword = secrets.password
  secrets.password = `pw-${unique('battery-staple')}`
  await send(200, { method: 'PATCH', url: `/admin/v1/accounts/${account.id}/users/${created.id}`, headers: xAuth, payload: { password: secrets.password } })
  secrets.wrongPassword = `pw-${unique('wrong')}`
  await send(401, { method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: created.name, password: secrets.wrongPassword } } } })
  await send(401, { method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: unique('nobody'), password: secrets.wrongPassword } } } })

  // Sessions (Keystone), by password and by API key, used in headers and URLs.
  const session = await login(app, { username: created.name, password: secrets.password, tenantId: account.id })
  secrets.session = session.token
  const keyLogin = await send(200, { method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: created.name, apiKey: secrets.apiKey }, tenantId: account.id } } })
  secrets.apiKeySession = keyLogin.json().access.token.id
  await send(200, { url: `/v2.0/tokens/${secrets.session}`, headers: xAuth })

  // Agent tokens (Rackspace Monitoring): the id is the secret.
  const agent = await send(201, { method: 'POST', url: `/v1.0/${account.id}/agent_tokens`, headers: { 'x-auth-token': secrets.session }, payload: { label: 'web01' } })
  secrets.agentToken = String(agent.headers['x-object-id'])
  await send(200, { url: `/v1.0/${account.id}/agent_tokens/${secrets.agentToken}`, headers: { 'x-auth-token': secrets.session } })

  // Astra tokens, used as Bearer.
  const astra = await send(201, {
    method: 'POST',
    url: `/accounts/${account.id}/core/v1/users/${created.id}/tokens`,
    headers: { authorization: `Bearer ${secrets.session}` },
    payload: { type: 'application/astra-token', version: '1.0', name: 'script' }
  })
  secrets.astraToken = astra.json().token
  await send(200, { url: `/accounts/${account.id}/core/v1/users/${created.id}/tokens`, headers: { authorization: `Bearer ${secrets.astraToken}` } })

  // Conjur: login (Basic) returns the API key; authenticate gives an access token; host factory tokens; a host's API key.
  const basic = `Basic ${Buffer.from(`${created.name}:${secrets.password}`).toString('base64')}`
  expect((await send(200, { url: `/authn/${account.name}/login`, headers: { authorization: basic } })).body).toBe(secrets.apiKey)
  secrets.conjurAccessToken = (await send(200, { method: 'POST', url: `/authn/${account.name}/${created.name}/authenticate`, headers: { 'accept-encoding': 'base64' }, payload: secrets.apiKey })).body
  const conjur = { authorization: `Token token="${secrets.conjurAccessToken}"` }
  await send(201, { method: 'POST', url: `/admin/v1/accounts/${account.id}/host-factories`, headers: xAuth, payload: { id: 'hf', layers: ['db'] } })
  const hfTokens = (await send(200, { method: 'POST', url: '/host_factory_tokens', headers: conjur, payload: { host_factory: `${account.name}:host_factory:hf`, expiration: '2050-01-01T00:00:00Z', count: 2 } })).json()
  secrets.hostFactoryToken = hfTokens[0].token
  secrets.secondHostFactoryToken = hfTokens[1].token
  const host = await send(201, { method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${secrets.hostFactoryToken}"` }, payload: { id: 'web-01' } })
  secrets.hostApiKey = host.json().api_key
  secrets.hostAccessToken = (await send(200, { method: 'POST', url: `/authn/${account.name}/host%2Fweb-01/authenticate`, headers: { 'accept-encoding': 'base64' }, payload: secrets.hostApiKey })).body
  await send(200, { url: `/resources/${account.name}/host_factory/hf`, headers: conjur })
  await send(204, { method: 'DELETE', url: `/host_factory_tokens/${secrets.secondHostFactoryToken}`, headers: conjur })

  // The Conjur access token is base64 of a signed JSON document: its signature is the secret part.
  const accessDocument = JSON.parse(Buffer.from(secrets.conjurAccessToken, 'base64').toString())
  secrets.conjurSignature = accessDocument.signature

  const tables = await dumpTables(app.db)
  const rows = Object.entries(tables).flatMap(([table, lines]) => lines.map((line) => `${table}: ${line}`))
  const logLines = traced.log().trim().split('\n')
  // The workload did land in the tables and the log (an empty dump would pass vacuously).
  expect(rows.length).toBeGreaterThan(20)
  expect(logLines.length).toBeGreaterThan(50)
  expect(Object.keys(secrets).length).toBe(16)
  for (const [name, secret] of Object.entries(secrets)) {
    expect(secret.length, name).toBeGreaterThanOrEqual(12)
    for (const form of encodings(secret)) {
      expect(rows.filter((row) => row.includes(form)), `${name} in a table`).toEqual([])
      expect(logLines.filter((line) => line.includes(form)), `${name} in the log`).toEqual([])
    }
  }
})
