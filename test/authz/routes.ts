import { randomUUID } from 'node:crypto'
import type { App } from '../../src/app.js'
import { insertAccount, insertUser, login, unique } from '../helpers/factories.js'
import { createToken as createAgentToken } from '../families/agent-tokens/helpers.js'
import { createToken as createAstraToken } from '../families/astra/helpers.js'
import { createHost, createHostFactory, hfId, newTokens } from '../families/conjur/helpers.js'
import type { CallerHeaders, World } from './world.js'

/** One request per route of /openapi.json, on account A's objects (fresh ones where it changes them). */
export interface RouteCase {
  /** `METHOD /templated/path`, as in /openapi.json. */
  route: string
  /** Which of the caller's headers the family reads. */
  dialect: keyof CallerHeaders
  /** The concrete request; may create the object it acts on, so every cell starts alike. */
  request (app: App, world: World): Promise<{ url: string, payload?: unknown }>
}

const tenantOf = (world: World) => ({ account: { ...world.a, enabled: true } as never, adminToken: world.aAdmin.session, admin: world.aAdmin.user })
const astraBase = (world: World) => `/accounts/${world.a.id}/core/v1/users/${world.owner.user.id}/tokens`
/** A group id: Tessera has none, so any identifier names a group collection that does not exist. */
const astraGroupBase = (world: World) => `/accounts/${world.a.id}/core/v1/groups/00000000-0000-0000-0000-000000000000/users/${world.owner.user.id}/tokens`
const adminUser = (world: World) => `/admin/v1/accounts/${world.a.id}/users/${world.owner.user.id}`
const freshUser = async (app: App, world: World) => (await insertUser(app.db, { accountId: world.a.id })).user.id
const freshAstraToken = async (app: App, world: World) => (await createAstraToken(app, { accountId: world.a.id, userId: world.aAdmin.user.user.id, user: world.aAdmin.user, token: world.aAdmin.session }, undefined, {}, world.owner.user.id)).id
const freshHfToken = async (app: App, world: World) => (await newTokens(app, world.aAdmin.conjur, { host_factory: hfId(tenantOf(world), world.factory) }))[0]!.token
const freshHost = async (app: App, world: World) => {
  const id = unique('host')
  const enrolled = await createHost(app, await freshHfToken(app, world), { id })
  if (enrolled.statusCode !== 201) throw new Error(`host: ${enrolled.statusCode} ${enrolled.body}`)
  return id
}
const fixed = (url: (world: World) => string, payload?: (world: World) => unknown) => async (_app: App, world: World) => ({ url: url(world), ...(payload ? { payload: payload(world) } : {}) })

export const ROUTE_CASES: RouteCase[] = [
  { route: 'GET /healthz', dialect: 'xAuth', request: fixed(() => '/healthz') },
  { route: 'GET /readyz', dialect: 'xAuth', request: fixed(() => '/readyz') },
  { route: 'GET /', dialect: 'xAuth', request: fixed(() => '/') },
  { route: 'GET /v2.0', dialect: 'xAuth', request: fixed(() => '/v2.0') },
  { route: 'POST /v2.0/tokens', dialect: 'xAuth', request: fixed(() => '/v2.0/tokens', (w) => ({ auth: { passwordCredentials: { username: w.owner.user.name, password: w.owner.password }, tenantId: w.a.id } })) },
  {
    route: 'GET /v2.0/tokens/{tokenId}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v2.0/tokens/${(await login(app, { username: w.owner.user.name, password: w.owner.password, tenantId: w.a.id })).token}` })
  },
  {
    route: 'HEAD /v2.0/tokens/{tokenId}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v2.0/tokens/${(await login(app, { username: w.owner.user.name, password: w.owner.password, tenantId: w.a.id })).token}` })
  },
  {
    route: 'DELETE /v2.0/tokens/{tokenId}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v2.0/tokens/${(await login(app, { username: w.owner.user.name, password: w.owner.password, tenantId: w.a.id })).token}` })
  },
  {
    route: 'GET /v2.0/tokens/{tokenId}/endpoints',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v2.0/tokens/${(await login(app, { username: w.owner.user.name, password: w.owner.password, tenantId: w.a.id })).token}/endpoints` })
  },
  { route: 'GET /v2.0/tenants', dialect: 'xAuth', request: fixed(() => '/v2.0/tenants') },
  { route: 'POST /v1.0/{tenantId}/agent_tokens', dialect: 'xAuth', request: fixed((w) => `/v1.0/${w.a.id}/agent_tokens`, () => ({ label: 'matrix' })) },
  { route: 'GET /v1.0/{tenantId}/agent_tokens', dialect: 'xAuth', request: fixed((w) => `/v1.0/${w.a.id}/agent_tokens`) },
  { route: 'GET /v1.0/{tenantId}/agent_tokens/{tokenId}', dialect: 'xAuth', request: fixed((w) => `/v1.0/${w.a.id}/agent_tokens/${w.agentToken}`) },
  {
    route: 'PUT /v1.0/{tenantId}/agent_tokens/{tokenId}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v1.0/${w.a.id}/agent_tokens/${await createAgentToken(app, { token: w.aAdmin.session, tenantId: w.a.id })}`, payload: { label: 'renamed' } })
  },
  {
    route: 'DELETE /v1.0/{tenantId}/agent_tokens/{tokenId}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/v1.0/${w.a.id}/agent_tokens/${await createAgentToken(app, { token: w.aAdmin.session, tenantId: w.a.id })}` })
  },
  { route: 'POST /accounts/{account_id}/core/v1/users/{user_id}/tokens', dialect: 'bearer', request: fixed(astraBase, () => ({ type: 'application/astra-token', version: '1.0', name: 'matrix' })) },
  { route: 'GET /accounts/{account_id}/core/v1/users/{user_id}/tokens', dialect: 'bearer', request: fixed(astraBase) },
  { route: 'GET /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}', dialect: 'bearer', request: fixed((w) => `${astraBase(w)}/${w.ownerAstraToken}`) },
  {
    route: 'PUT /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}',
    dialect: 'bearer',
    request: async (app, w) => ({ url: `${astraBase(w)}/${await freshAstraToken(app, w)}`, payload: { type: 'application/astra-token', version: '1.0', name: 'renamed' } })
  },
  { route: 'DELETE /accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}', dialect: 'bearer', request: async (app, w) => ({ url: `${astraBase(w)}/${await freshAstraToken(app, w)}` }) },
  { route: 'POST /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens', dialect: 'bearer', request: fixed(astraGroupBase, () => ({ type: 'application/astra-token', version: '1.0', name: 'matrix' })) },
  { route: 'GET /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens', dialect: 'bearer', request: fixed(astraGroupBase) },
  { route: 'GET /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}', dialect: 'bearer', request: fixed((w) => `${astraGroupBase(w)}/${w.ownerAstraToken}`) },
  {
    route: 'PUT /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}',
    dialect: 'bearer',
    request: fixed((w) => `${astraGroupBase(w)}/${w.ownerAstraToken}`, () => ({ type: 'application/astra-token', version: '1.0', name: 'renamed' }))
  },
  { route: 'DELETE /accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}', dialect: 'bearer', request: fixed((w) => `${astraGroupBase(w)}/${w.ownerAstraToken}`) },
  { route: 'POST /admin/v1/accounts', dialect: 'xAuth', request: fixed(() => '/admin/v1/accounts', () => ({ name: unique('acct') })) },
  { route: 'GET /admin/v1/accounts', dialect: 'xAuth', request: fixed(() => '/admin/v1/accounts') },
  { route: 'GET /admin/v1/accounts/{accountId}', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}`) },
  { route: 'PATCH /admin/v1/accounts/{accountId}', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}`, () => ({ enabled: true })) },
  // Deleting account A would end the world: the target is a fresh, empty account, which no caller's account owns.
  { route: 'DELETE /admin/v1/accounts/{accountId}', dialect: 'xAuth', request: async (app) => ({ url: `/admin/v1/accounts/${(await insertAccount(app.db, { id: randomUUID() })).id}` }) },
  { route: 'POST /admin/v1/accounts/{accountId}/users', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/users`, () => ({ name: unique('user'), roles: ['member'] })) },
  { route: 'GET /admin/v1/accounts/{accountId}/users', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/users`) },
  { route: 'GET /admin/v1/accounts/{accountId}/users/{userId}', dialect: 'xAuth', request: fixed(adminUser) },
  { route: 'PATCH /admin/v1/accounts/{accountId}/users/{userId}', dialect: 'xAuth', request: fixed(adminUser, () => ({ email: 'owner@example.com' })) },
  { route: 'DELETE /admin/v1/accounts/{accountId}/users/{userId}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/users/${await freshUser(app, w)}` }) },
  { route: 'POST /admin/v1/accounts/{accountId}/users/{userId}/api-key', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/users/${await freshUser(app, w)}/api-key` }) },
  { route: 'GET /admin/v1/accounts/{accountId}/users/{userId}/roles', dialect: 'xAuth', request: fixed((w) => `${adminUser(w)}/roles`) },
  { route: 'PUT /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/users/${await freshUser(app, w)}/roles/admin` }) },
  { route: 'DELETE /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/users/${await freshUser(app, w)}/roles/member` }) },
  { route: 'POST /admin/v1/accounts/{accountId}/host-factories', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/host-factories`, () => ({ id: unique('hf'), layers: ['db'] })) },
  { route: 'GET /admin/v1/accounts/{accountId}/host-factories', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/host-factories`) },
  { route: 'GET /admin/v1/accounts/{accountId}/host-factories/{id}', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/host-factories/${w.factory}`) },
  {
    route: 'DELETE /admin/v1/accounts/{accountId}/host-factories/{id}',
    dialect: 'xAuth',
    request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/host-factories/${await createHostFactory(app, tenantOf(w))}` })
  },
  {
    route: 'POST /admin/v1/accounts/{accountId}/host-factories/{id}/permissions',
    dialect: 'xAuth',
    request: fixed((w) => `/admin/v1/accounts/${w.a.id}/host-factories/${w.factory}/permissions`, (w) => ({ role: `${w.a.name}:user:${w.owner.user.name}`, privilege: 'read' }))
  },
  {
    route: 'DELETE /admin/v1/accounts/{accountId}/host-factories/{id}/permissions',
    dialect: 'xAuth',
    request: fixed((w) => `/admin/v1/accounts/${w.a.id}/host-factories/${w.factory}/permissions`, (w) => ({ role: `${w.a.name}:user:${w.owner.user.name}`, privilege: 'read' }))
  },
  { route: 'GET /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens', dialect: 'xAuth', request: fixed((w) => `${adminUser(w)}/astra-tokens`) },
  { route: 'DELETE /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens/{tokenId}', dialect: 'xAuth', request: async (app, w) => ({ url: `${adminUser(w)}/astra-tokens/${await freshAstraToken(app, w)}` }) },
  { route: 'GET /admin/v1/accounts/{accountId}/audit-events', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/audit-events`) },
  { route: 'GET /admin/v1/accounts/{accountId}/credentials', dialect: 'xAuth', request: fixed((w) => `/admin/v1/accounts/${w.a.id}/credentials`) },
  { route: 'GET /admin/v1/accounts/{accountId}/users/{userId}/credentials', dialect: 'xAuth', request: fixed((w) => `${adminUser(w)}/credentials`) },
  { route: 'GET /admin/v1/accounts/{accountId}/credentials/{accessor}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/credentials/${await freshAstraToken(app, w)}` }) },
  { route: 'DELETE /admin/v1/accounts/{accountId}/credentials/{accessor}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/credentials/${await freshAstraToken(app, w)}` }) },
  { route: 'POST /admin/v1/accounts/{accountId}/users/{userId}/revoke-credentials', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/users/${await freshUser(app, w)}/revoke-credentials` }) },
  { route: 'POST /admin/v1/accounts/{accountId}/hosts/{hostId}/revoke-credentials', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/accounts/${w.a.id}/hosts/${await freshHost(app, w)}/revoke-credentials` }) },
  { route: 'GET /admin/v1/lookup/accounts/{ref}', dialect: 'xAuth', request: fixed((w) => `/admin/v1/lookup/accounts/${encodeURIComponent(w.a.name)}`) },
  { route: 'GET /admin/v1/lookup/users/{ref}', dialect: 'xAuth', request: fixed((w) => `/admin/v1/lookup/users/${encodeURIComponent(w.owner.user.name)}`) },
  { route: 'GET /admin/v1/users', dialect: 'xAuth', request: fixed((w) => `/admin/v1/users?account=${w.a.id}`) },
  { route: 'GET /admin/v1/users/{userId}/astra-tokens', dialect: 'xAuth', request: fixed((w) => `/admin/v1/users/${w.owner.user.id}/astra-tokens`) },
  { route: 'DELETE /admin/v1/users/{userId}/astra-tokens/{tokenId}', dialect: 'xAuth', request: async (app, w) => ({ url: `/admin/v1/users/${w.owner.user.id}/astra-tokens/${await freshAstraToken(app, w)}` }) },
  { route: 'POST /admin/v1/retention/purge', dialect: 'xAuth', request: fixed(() => '/admin/v1/retention/purge?dryRun=true') },
  { route: 'GET /admin/v1/export', dialect: 'xAuth', request: fixed(() => '/admin/v1/export') },
  // Sent as text/plain (the matrix sets no content type): past the authorization, the super-admin's 400.
  { route: 'POST /admin/v1/import', dialect: 'xAuth', request: fixed(() => '/admin/v1/import?dryRun=true', () => '{"type":"tessera-export","version":1}') },
  { route: 'GET /authn/{account}/login', dialect: 'conjur', request: fixed((w) => `/authn/${w.a.name}/login`) },
  { route: 'POST /authn/{account}/{login}/authenticate', dialect: 'conjur', request: fixed((w) => `/authn/${w.a.name}/${w.owner.user.name}/authenticate`, (w) => w.owner.apiKey) },
  { route: 'POST /host_factory_tokens', dialect: 'conjur', request: fixed(() => '/host_factory_tokens', (w) => ({ host_factory: hfId(tenantOf(w), w.factory), expiration: '2050-01-01T00:00:00Z' })) },
  { route: 'DELETE /host_factory_tokens/{token}', dialect: 'conjur', request: async (app, w) => ({ url: `/host_factory_tokens/${await freshHfToken(app, w)}` }) },
  { route: 'POST /host_factories/hosts', dialect: 'conjur', request: fixed(() => '/host_factories/hosts', () => ({ id: unique('host') })) },
  { route: 'GET /resources/{account}/{kind}/{identifier}', dialect: 'conjur', request: fixed((w) => `/resources/${w.a.name}/host_factory/${w.factory}`) },
  { route: 'GET /resources/{account}', dialect: 'conjur', request: fixed((w) => `/resources/${w.a.name}`) },
  { route: 'GET /resources/{account}/{kind}', dialect: 'conjur', request: fixed((w) => `/resources/${w.a.name}/host_factory`) },
  { route: 'GET /resources/{account}/host/{identifier}', dialect: 'conjur', request: async (app, w) => ({ url: `/resources/${w.a.name}/host/${await freshHost(app, w)}` }) },
  { route: 'GET /resources/{account}/user/{identifier}', dialect: 'conjur', request: fixed((w) => `/resources/${w.a.name}/user/${w.owner.user.name}`) },
  { route: 'GET /resources/{account}/layer/{identifier}', dialect: 'conjur', request: fixed((w) => `/resources/${w.a.name}/layer/db`) },
  { route: 'GET /whoami', dialect: 'conjur', request: fixed(() => '/whoami') },
  // A fresh user of account A each time: its key is the one rotated.
  { route: 'PUT /authn/{account}/api_key', dialect: 'conjur', request: async (app, w) => ({ url: `/authn/${w.a.name}/api_key?role=user:${(await insertUser(app.db, { accountId: w.a.id })).user.name}` }) },
  // Last: it revokes the caller's own session.
  { route: 'DELETE /v2.0/tokens', dialect: 'xAuth', request: fixed(() => '/v2.0/tokens') }
]
