import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAMILIES } from '../../src/families/index.js'
import { errorShapeProblem, familyOf } from '../fuzz/error-shapes.js'
import { insertAccount, insertUser, login, unique } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { createToken as createAgentToken } from '../families/agent-tokens/helpers.js'
import { collectionPath, createToken as createAstraToken } from '../families/astra/helpers.js'
import { createHost, createHostFactory, newTokens, userHeader, type Tenant } from '../families/conjur/helpers.js'

/**
 * A credential works only in the API that minted it, whatever header carries it: every kind of
 * credential Tessera issues × every API × every header form. Each API is probed with a read its
 * holder (an admin of account A) may make, so a 2xx means the credential was accepted, and
 * anything else must be that API's own 401.
 */

const KINDS = ['session', 'astraToken', 'conjurAccessToken', 'hostFactoryToken', 'userApiKey', 'hostApiKey', 'agentToken'] as const
type Kind = (typeof KINDS)[number]
const HEADERS = ['xAuthToken', 'bearer', 'conjurToken'] as const
type Header = (typeof HEADERS)[number]
const APIS = ['identity', 'monitoring', 'astra', 'admin', 'conjur', 'conjurEnrol'] as const
type Api = (typeof APIS)[number]

/** Where each kind is accepted, and in which headers: everything else is a 401. */
const ACCEPTED: Record<Kind, Partial<Record<Api, readonly Header[]>>> = {
  session: { identity: ['xAuthToken', 'bearer'], monitoring: ['xAuthToken', 'bearer'], astra: ['xAuthToken', 'bearer'], admin: ['xAuthToken', 'bearer'] },
  astraToken: { astra: ['bearer'] },
  conjurAccessToken: { conjur: ['conjurToken'] },
  hostFactoryToken: { conjurEnrol: ['conjurToken'] },
  userApiKey: {},
  hostApiKey: {},
  agentToken: {}
}

function headerWith (header: Header, secret: string): Record<string, string> {
  switch (header) {
    case 'xAuthToken': return { 'x-auth-token': secret }
    case 'bearer': return { authorization: `Bearer ${secret}` }
    case 'conjurToken': return { authorization: `Token token="${secret}"` }
  }
}

let t: TestApp
let tenant: Tenant
let factory: string
const secrets = {} as Record<Kind, string>

beforeAll(async () => {
  t = await setupTestApp()
  // A UUID account id, as Astra's paths want one.
  const account = await insertAccount(t.app.db, { id: randomUUID() })
  const admin = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
  tenant = { account, admin, adminToken: (await login(t.app, { username: admin.user.name, password: admin.password, tenantId: account.id })).token }
  const conjurHeader = await userHeader(t.app, tenant, admin)
  factory = await createHostFactory(t.app, tenant)
  const [hostFactoryToken, enrolment] = await newTokens(t.app, conjurHeader, { host_factory: `${tenant.account.name}:host_factory:${factory}`, count: 2 })
  const host = await createHost(t.app, enrolment!.token, { id: unique('host') })
  secrets.session = tenant.adminToken
  secrets.astraToken = (await createAstraToken(t.app, { accountId: tenant.account.id, userId: admin.user.id, user: admin, token: tenant.adminToken })).token
  secrets.conjurAccessToken = /^Token token="(.*)"$/.exec(conjurHeader)![1]!
  secrets.hostFactoryToken = hostFactoryToken!.token
  secrets.userApiKey = admin.apiKey
  secrets.hostApiKey = host.json().api_key
  secrets.agentToken = await createAgentToken(t.app, { token: tenant.adminToken, tenantId: tenant.account.id })
})
afterAll(() => t?.close())

/** One read per API that account A's admin may make. */
function probe (api: Api, headers: Record<string, string>) {
  const account = tenant.account
  switch (api) {
    case 'identity': return t.app.inject({ url: '/v2.0/tenants', headers })
    case 'monitoring': return t.app.inject({ url: `/v1.0/${account.id}/agent_tokens`, headers })
    case 'astra': return t.app.inject({ url: collectionPath(account.id, tenant.admin.user.id), headers })
    case 'admin': return t.app.inject({ url: `/admin/v1/accounts/${account.id}/users`, headers })
    case 'conjur': return t.app.inject({ url: `/resources/${account.name}/host_factory/${factory}`, headers })
    case 'conjurEnrol': return t.app.inject({ method: 'POST', url: `/host_factories/hosts?id=${unique('enrolled')}`, headers })
  }
}

it('every credential kind a family issues opens only families that exist', () => {
  const names = FAMILIES.map((family) => family.name)
  for (const family of FAMILIES) {
    for (const kind of family.credentials ?? []) expect(names, kind.name).toEqual(expect.arrayContaining([...kind.opens]))
  }
})

describe.each(KINDS)('%s', (kind) => {
  const cases = APIS.flatMap((api) => HEADERS.map((header) => [api, header] as const))
  it.each(cases)('in %s, as %s', async (api, header) => {
    const reply = await probe(api, headerWith(header, secrets[kind]))
    if (ACCEPTED[kind][api]?.includes(header)) {
      expect(reply.statusCode, reply.body).toBeLessThan(300)
      return
    }
    expect(reply.statusCode, reply.body).toBe(401)
    expect(errorShapeProblem(familyOf(reply.raw.req.url!), reply, reply.raw.req.method!)).toBeNull()
  })
})

describe('an Astra token as a bearer credential elsewhere (the defects this closes)', () => {
  const bearer = () => ({ authorization: `Bearer ${secrets.astraToken}` })

  it('cannot create a user through the admin API, nor set a password', async () => {
    const name = unique('intruder')
    const created = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users`, headers: bearer(), payload: { name, password: 'correct horse battery', roles: ['admin'] } })
    expect(created.statusCode).toBe(401)
    expect(created.json()).toEqual({ statusCode: 401, code: 'TESSERA_UNAUTHENTICATED', message: 'The request you have made requires authentication.' })
    expect(await t.app.db.selectFrom('users').select('id').where('name', '=', name).execute()).toEqual([])

    const patched = await t.app.inject({ method: 'PATCH', url: `/admin/v1/accounts/${tenant.account.id}/users/${tenant.admin.user.id}`, headers: bearer(), payload: { password: 'a new password for me' } })
    expect(patched.statusCode).toBe(401)
    const login = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: tenant.admin.user.name, password: tenant.admin.password } } } })
    expect(login.statusCode).toBe(200)
  })

  it('cannot validate a Keystone token, and the refusal is audited as a credential of another API', async () => {
    const validated = await t.app.inject({ url: `/v2.0/tokens/${tenant.adminToken}`, headers: bearer() })
    expect(validated.statusCode).toBe(401)
    expect(validated.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })
    await t.app.auditQueue.flush()
    const [row] = await t.app.db.selectFrom('audit_events').select(['kind', 'reason', 'details']).where('request_id', '=', validated.headers['x-request-id'] as string).execute()
    expect(row).toMatchObject({ kind: 'authentication.denied', reason: 'wrong-api', details: { credential: 'astra-token', route: '/v2.0/tokens/:tokenId', statusCode: 401 } })
  })
})
