import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { insertAccount, insertUser, login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import type { Observed } from './contract.js'
import { UNDESCRIBED_CONJUR_OPERATIONS } from './families/conjur.js'
import { contractViolations, observedOf } from './response-contracts.js'
import { CONJUR_DEVIATIONS } from './schema-registry.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

/** A real response with its body changed as a regression would change it. */
function mutated (observed: Observed, change: (body: any) => void): Observed {
  const body = JSON.parse(observed.body)
  change(body)
  return { ...observed, body: JSON.stringify(body) }
}

const fake = (method: string, path: string, status: number, body: string, headers: Record<string, string> = {}): Observed =>
  ({ method, path, query: new URLSearchParams(), requestHeaders: {}, status, headers, body })

describe('the response contract check itself', () => {
  it('fails a Keystone token, a Monitoring list and an Astra token whose shape regressed, naming the field path', async () => {
    const account = await insertAccount(t.app.db, { id: randomUUID() })
    const user = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
    const issued = await t.app.inject({
      method: 'POST',
      url: '/v2.0/tokens',
      payload: { auth: { passwordCredentials: { username: user.user.name, password: user.password }, tenantId: account.id } }
    })
    expect(contractViolations(observedOf(issued))).toEqual({ family: 'keystone', problems: [] })
    expect(contractViolations(mutated(observedOf(issued), (body) => { delete body.access.token.audit_ids })))
      .toEqual({ family: 'keystone', problems: ['/access/token must have required property \'audit_ids\''] })
    expect(contractViolations(mutated(observedOf(issued), (body) => { body.access.user.roles_links = [{}] }))?.problems)
      .toEqual(['/access/user/roles_links must NOT have more than 0 items'])

    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: account.id })
    const listed = await t.app.inject({ url: `/v1.0/${account.id}/agent_tokens`, headers: { 'x-auth-token': session.token } })
    expect(listed.statusCode).toBe(200)
    expect(contractViolations(mutated(observedOf(listed), (body) => { body.metadata.next_marker = 5 }))?.problems)
      .toEqual(['/metadata/next_marker must be string,null'])

    const created = await t.app.inject({
      method: 'POST',
      url: `/accounts/${account.id}/core/v1/users/${user.user.id}/tokens`,
      headers: { authorization: `Bearer ${session.token}` },
      payload: { type: 'application/astra-token', version: '1.0', name: 'probe' }
    })
    expect(created.statusCode).toBe(201)
    expect(contractViolations(mutated(observedOf(created), (body) => { body.metadata.creationTimestamp = '2026-01-01 10:00:00' }))?.problems)
      .toEqual([expect.stringMatching(/^\/metadata\/creationTimestamp must match pattern "\^\[0-9\]\{4\}-/)])
  })

  it('checks error bodies: Keystone\'s code must be the status, Monitoring\'s txnId its header, Astra\'s problem one §B1 lists', () => {
    expect(contractViolations(fake('GET', '/v2.0/tenants', 401, '{"error":{"message":"x","code":403,"title":"Unauthorized"}}', { 'content-type': 'application/json' }))?.problems)
      .toEqual(['/error/code 403 is not the status 401'])
    expect(contractViolations(fake('GET', '/v1.0/1/agent_tokens', 404, '{"type":"notFoundError","code":404,"message":"m","details":"d","txnId":".rh-a"}', { 'content-type': 'application/json', 'x-response-id': '.rh-b' }))?.problems)
      .toEqual(['/txnId differs from X-Response-Id'])
    const problem7 = { type: 'https://astra.netapp.io/problems/7', title: 'Invalid JSON payload', detail: 'The request body is not valid JSON.', status: '400' }
    expect(contractViolations(fake('DELETE', `/accounts/${randomUUID()}/core/v1/users/${randomUUID()}/tokens/${randomUUID()}`, 400, JSON.stringify(problem7), { 'content-type': 'application/problem+json' }))?.problems)
      .toEqual(['/type problem 7 is not one §B1 lists for DELETE (1, 2, 3, 4, 5, 6, 11)'])
    expect(contractViolations(fake('POST', '/host_factory_tokens', 422, '{"error":{"code":"argument_error"}}', { 'content-type': 'application/json' }))?.problems)
      .toEqual(['/error must have required property \'message\''])
    expect(contractViolations(fake('POST', '/host_factory_tokens', 403, 'nope', { 'content-type': 'text/plain' }))?.problems)
      .toEqual(['text "nope" is none of ["IP address rejected"]'])
  })

  it('refuses a success on an operation no document describes, unless the allow-list names it', () => {
    expect(contractViolations(fake('POST', '/resources/acme/host_factory/x', 200, '{}', { 'content-type': 'application/json' }))?.problems)
      .toEqual(['POST /resources/acme/host_factory/x answers 200, but neither the published Conjur document nor the allow-list describes it'])
    expect(contractViolations(fake('GET', '/v2.0/users', 200, '{}', { 'content-type': 'application/json' }))?.problems)
      .toEqual(['GET /v2.0/users answers 200, but no Keystone v2.0 operation is described there'])
    expect(contractViolations(fake('GET', '/whoami', 200, '{"anything":1}', { 'content-type': 'application/json' }))).toEqual({ family: 'conjur', problems: [] })
    expect(contractViolations(fake('PUT', '/authn/acme/api_key', 200, 'NOT A KEY', { 'content-type': 'text/plain' }))?.problems)
      .toEqual(['/ must match pattern "^[0-9a-hjkmnp-tv-z]{1,56}$"'])
    const check = { ...fake('GET', '/resources/acme/host_factory/x', 200, '{"id":"acme:host_factory:x"}', { 'content-type': 'application/json' }), query: new URLSearchParams('check=&privilege=update') }
    expect(contractViolations(check)?.problems).toEqual(['a permission check answers 204 or 404, not 200'])
    const refused = { ...fake('GET', '/resources/acme/host_factory/x', 404, '', {}), query: new URLSearchParams('check=true&privilege=update') }
    expect(contractViolations(refused)).toEqual({ family: 'conjur', problems: [] })
    expect(UNDESCRIBED_CONJUR_OPERATIONS.map((entry) => entry.name)).toHaveLength(5)
    expect(CONJUR_DEVIATIONS.map((deviation) => deviation.pointer.join('.'))).toEqual(['components.schemas.CreateHost.properties.annotations', 'components.schemas.ApiKey'])
  })

  it('leaves paths no family owns alone', () => {
    expect(contractViolations(fake('GET', '/admin/v1/accounts', 200, 'whatever'))).toBeNull()
    expect(contractViolations(fake('GET', '/health', 200, 'whatever'))).toBeNull()
  })
})
