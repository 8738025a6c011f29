import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { errorShapeProblem, familyOf } from '../fuzz/error-shapes.js'
import { listOperations } from '../fuzz/operations.js'
import { ROUTE_CASES } from './routes.js'
import { buildWorld, CALLERS, type CallerKind, type World } from './world.js'

/**
 * Every route × every kind of caller, against one declared table of expected statuses. The
 * objects named belong to account A; `otherAdmin` is the admin of account B, `member` and
 * `admin` are A's, `host` a Conjur host enrolled in A, `otherAstra` the Astra token of another
 * member of A than the owner of the objects, `superAdmin` an admin of the administrators' account.
 * A credential works only in the API that minted it: `host` (a Conjur access token) and
 * `otherAstra` get that API's 401 everywhere else (credential-scope.test.ts tries every header).
 */
type Row = [anonymous: number, expired: number, revoked: number, otherAdmin: number, member: number, admin: number, host: number, otherAstra: number, superAdmin: number]

const EXPECTED: Record<string, Row> = {
  'GET /healthz': [200, 200, 200, 200, 200, 200, 200, 200, 200],
  'GET /readyz': [200, 200, 200, 200, 200, 200, 200, 200, 200],
  'GET /': [300, 300, 300, 300, 300, 300, 300, 300, 300],
  'GET /v2.0': [200, 200, 200, 200, 200, 200, 200, 200, 200],
  // A password login: the credentials are in the body; a header is ignored.
  'POST /v2.0/tokens': [200, 200, 200, 200, 200, 200, 200, 200, 200],
  // Validating another's token takes the admin role on its account, or the super-admin's.
  'GET /v2.0/tokens/{tokenId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'HEAD /v2.0/tokens/{tokenId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'DELETE /v2.0/tokens/{tokenId}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'GET /v2.0/tokens/{tokenId}/endpoints': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  // Any principal lists the tenants it may be scoped to (its own).
  'GET /v2.0/tenants': [401, 401, 401, 200, 200, 200, 401, 401, 200],
  // Agent tokens want a token scoped to the tenant with its admin role: the super-admin's is scoped elsewhere.
  'POST /v1.0/{tenantId}/agent_tokens': [401, 401, 401, 403, 403, 201, 401, 401, 403],
  'GET /v1.0/{tenantId}/agent_tokens': [401, 401, 401, 403, 403, 200, 401, 401, 403],
  'GET /v1.0/{tenantId}/agent_tokens/{tokenId}': [401, 401, 401, 403, 403, 200, 401, 401, 403],
  'PUT /v1.0/{tenantId}/agent_tokens/{tokenId}': [401, 401, 401, 403, 403, 204, 401, 401, 403],
  'DELETE /v1.0/{tenantId}/agent_tokens/{tokenId}': [401, 401, 401, 403, 403, 204, 401, 401, 403],
  // Astra: the owner or an admin/owner of the account, within the account.
  'POST /accounts/{account_id}/core/v1/users/{user_id}/tokens': [401, 401, 401, 403, 403, 201, 401, 403, 403],
  'GET /accounts/{account_id}/core/v1/users/{user_id}/tokens': [401, 401, 401, 403, 403, 200, 401, 403, 403],
  'GET /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}': [401, 401, 401, 403, 403, 200, 401, 403, 403],
  'PUT /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}': [401, 401, 401, 403, 403, 204, 401, 403, 403],
  'DELETE /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}': [401, 401, 401, 403, 403, 204, 401, 403, 403],
  // The group-scoped twins: Tessera has no groups, so any authenticated caller finds no collection (problem 2).
  'POST /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens': [401, 401, 401, 404, 404, 404, 401, 404, 404],
  'GET /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens': [401, 401, 401, 404, 404, 404, 401, 404, 404],
  'GET /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}': [401, 401, 401, 404, 404, 404, 401, 404, 404],
  'PUT /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}': [401, 401, 401, 404, 404, 404, 401, 404, 404],
  'DELETE /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}': [401, 401, 401, 404, 404, 404, 401, 404, 404],
  // Admin API: the account's admin on their account, the super-admin everywhere.
  'POST /admin/v1/accounts': [401, 401, 401, 403, 403, 403, 401, 401, 201],
  // An account admin lists only their own account.
  'GET /admin/v1/accounts': [401, 401, 401, 200, 403, 200, 401, 401, 200],
  'GET /admin/v1/accounts/{accountId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'PATCH /admin/v1/accounts/{accountId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'DELETE /admin/v1/accounts/{accountId}': [401, 401, 401, 403, 403, 403, 401, 401, 204],
  'POST /admin/v1/accounts/{accountId}/users': [401, 401, 401, 403, 403, 201, 401, 401, 201],
  'GET /admin/v1/accounts/{accountId}/users': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'GET /admin/v1/accounts/{accountId}/users/{userId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'PATCH /admin/v1/accounts/{accountId}/users/{userId}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'DELETE /admin/v1/accounts/{accountId}/users/{userId}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'POST /admin/v1/accounts/{accountId}/users/{userId}/api-key': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'GET /admin/v1/accounts/{accountId}/users/{userId}/roles': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'PUT /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'DELETE /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'POST /admin/v1/accounts/{accountId}/host-factories': [401, 401, 401, 403, 403, 201, 401, 401, 201],
  'GET /admin/v1/accounts/{accountId}/host-factories': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'GET /admin/v1/accounts/{accountId}/host-factories/{id}': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'DELETE /admin/v1/accounts/{accountId}/host-factories/{id}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'POST /admin/v1/accounts/{accountId}/host-factories/{id}/permissions': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'DELETE /admin/v1/accounts/{accountId}/host-factories/{id}/permissions': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'GET /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'DELETE /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens/{tokenId}': [401, 401, 401, 403, 403, 204, 401, 401, 204],
  'GET /admin/v1/accounts/{accountId}/audit-events': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  // A credential by accessor: its account's admin, the super-admin, or its holder; to anyone else it does not exist.
  'GET /admin/v1/accounts/{accountId}/credentials/{accessor}': [401, 401, 401, 404, 404, 200, 401, 401, 200],
  'DELETE /admin/v1/accounts/{accountId}/credentials/{accessor}': [401, 401, 401, 404, 404, 204, 401, 401, 204],
  'POST /admin/v1/accounts/{accountId}/users/{userId}/revoke-credentials': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'POST /admin/v1/accounts/{accountId}/hosts/{hostId}/revoke-credentials': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  // The hygiene report: the account's admins; a user's own list to that user too (not a caller here: `member` is another user).
  'GET /admin/v1/accounts/{accountId}/credentials': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  'GET /admin/v1/accounts/{accountId}/users/{userId}/credentials': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  // By id or name, for who may administer it; to anyone else it does not exist.
  'GET /admin/v1/lookup/accounts/{ref}': [401, 401, 401, 404, 404, 200, 401, 401, 200],
  'GET /admin/v1/lookup/users/{ref}': [401, 401, 401, 404, 404, 200, 401, 401, 200],
  // Users of every account: a super-admin; those of one account: its admin too.
  'GET /admin/v1/users': [401, 401, 401, 403, 403, 200, 401, 401, 200],
  // What spans every account: the super-admin only.
  'GET /admin/v1/users/{userId}/astra-tokens': [401, 401, 401, 403, 403, 403, 401, 401, 200],
  'DELETE /admin/v1/users/{userId}/astra-tokens/{tokenId}': [401, 401, 401, 403, 403, 403, 401, 401, 204],
  'POST /admin/v1/retention/purge': [401, 401, 401, 403, 403, 403, 401, 401, 200],
  'GET /admin/v1/export': [401, 401, 401, 403, 403, 403, 401, 401, 200],
  'POST /admin/v1/import': [401, 401, 401, 403, 403, 403, 401, 401, 400],
  // Conjur: login wants HTTP Basic and authenticate an API key in the body, whoever else calls.
  'GET /authn/{account}/login': [401, 401, 401, 401, 401, 401, 401, 401, 401],
  'POST /authn/{account}/{login}/authenticate': [200, 200, 200, 200, 200, 200, 200, 200, 200],
  // A resource the caller may not see is not found (Conjur); an Astra token is no Conjur credential.
  'POST /host_factory_tokens': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  'DELETE /host_factory_tokens/{token}': [401, 401, 401, 404, 404, 204, 404, 401, 404],
  // Only a host factory token enrols a host.
  'POST /host_factories/hosts': [401, 401, 401, 401, 401, 401, 401, 401, 401],
  'GET /resources/{account}/{kind}/{identifier}': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  // A listing answers what the caller sees: nothing of account A to anyone but its admin (checked below).
  'GET /resources/{account}': [401, 401, 401, 200, 200, 200, 200, 401, 200],
  'GET /resources/{account}/{kind}': [401, 401, 401, 200, 200, 200, 200, 401, 200],
  // Hosts, users and layers as resources: the account's admins only.
  'GET /resources/{account}/host/{identifier}': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  'GET /resources/{account}/user/{identifier}': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  'GET /resources/{account}/layer/{identifier}': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  'GET /whoami': [401, 401, 401, 200, 200, 200, 200, 401, 200],
  // Another role's key: whoever holds update on it, the account's admin.
  'PUT /authn/{account}/api_key': [401, 401, 401, 404, 404, 200, 404, 401, 404],
  // A session revokes itself; a host's or an Astra token is no session.
  'DELETE /v2.0/tokens': [401, 401, 401, 204, 204, 204, 401, 401, 204]
}

/** Routes that name nothing of account A (or only the caller's own things): open to other accounts. */
const NOT_ACCOUNT_A = new Set(['GET /healthz', 'GET /readyz', 'GET /', 'GET /v2.0', 'POST /v2.0/tokens', 'GET /v2.0/tenants', 'POST /admin/v1/accounts', 'GET /admin/v1/accounts',
  'POST /authn/{account}/{login}/authenticate', 'DELETE /v2.0/tokens', 'DELETE /admin/v1/accounts/{accountId}', 'GET /whoami'])

/** Conjur's listings answer 200 to any caller, with only what it may see: of account A, nothing but to its admin. */
const SEES_ONLY_ITS_OWN = new Set(['GET /resources/{account}', 'GET /resources/{account}/{kind}'])

let t: TestApp
let world: World
const observed: Record<string, Partial<Record<CallerKind, number>>> = {}
beforeAll(async () => {
  t = await setupTestApp()
  world = await buildWorld(t.app)
})
afterAll(async () => {
  if (process.env.AUTHZ_PRINT) console.log(Object.entries(observed).map(([route, row]) => `  '${route}': [${CALLERS.map((caller) => row[caller]).join(', ')}],`).join('\n'))
  await t?.close()
})

it('covers every route of /openapi.json, and the table every case', async () => {
  const documented = (await listOperations(t.app)).map((operation) => `${operation.method} ${operation.path}`)
  expect(documented.filter((route) => !ROUTE_CASES.some((routeCase) => routeCase.route === route))).toEqual([])
  expect(ROUTE_CASES.map((route) => route.route).sort()).toEqual(documented.sort())
  if (!process.env.AUTHZ_PRINT) expect(Object.keys(EXPECTED).sort()).toEqual(documented.sort())
})

describe.each(ROUTE_CASES)('$route', (routeCase) => {
  const method = routeCase.route.split(' ')[0]!
  it.each(CALLERS.map((caller, index) => [caller, index] as const))('%s', async (caller, index) => {
    const { url, payload } = await routeCase.request(t.app, world)
    const reply = await t.app.inject({
      method: method as 'GET',
      url,
      headers: world.callers[caller][routeCase.dialect],
      ...(payload === undefined ? {} : { payload: payload as string })
    })
    ;(observed[routeCase.route] ??= {})[caller] = reply.statusCode
    if (process.env.AUTHZ_PRINT) return
    expect(reply.statusCode, reply.body).toBe(EXPECTED[routeCase.route]![index])
    if (reply.statusCode >= 400) expect(errorShapeProblem(familyOf(url), reply, method)).toBeNull()
    // No object of one account is readable or writable from another.
    if (caller === 'otherAdmin' && SEES_ONLY_ITS_OWN.has(routeCase.route)) expect(reply.json()).toEqual([])
    else if (caller === 'otherAdmin' && !NOT_ACCOUNT_A.has(routeCase.route)) expect(reply.statusCode).toBeGreaterThanOrEqual(400)
  })
})
