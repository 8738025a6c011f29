import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../../src/app.js'
import { eventually, NOTIFIED_WITHIN_MS } from '../../helpers/eventually.js'
import { insertAccount, insertUser, login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { collectionPath, tokenBody } from '../astra/helpers.js'
import { accessHeader, createHost, createHostFactory, grant, hfId, newTenant, newTokens, userHeader, type Tenant } from '../conjur/helpers.js'

/** A well-formed host factory token nobody issued: callerOf runs, then the token is not found (404). */
const UNKNOWN_HF_TOKEN = '1'.repeat(53)

describe('the kill switch (POST /admin/v1/accounts/{accountId}/users|hosts/{id}/revoke-credentials)', () => {
  let t: TestApp
  let replica: App
  let tenant: Tenant

  beforeAll(async () => {
    // A minute of cache: only the notifications can make the replica refuse at once.
    t = await setupTestApp({ env: { CREDENTIAL_CACHE_SECONDS: '60' } })
    replica = await t.replica()
    // Astra paths need a UUID account id.
    const account = await insertAccount(t.app.db, { id: randomUUID() })
    const admin = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
    tenant = { account, admin, adminToken: (await login(t.app, { username: admin.user.name, password: admin.password, tenantId: account.id })).token }
  })
  afterAll(() => t?.close())

  const revoke = (path: string, dryRun: boolean) => t.app.inject({
    method: 'POST',
    url: `/admin/v1/accounts/${tenant.account.id}${path}/revoke-credentials${dryRun ? '?dryRun=true' : ''}`,
    headers: { 'x-auth-token': tenant.adminToken }
  })

  it('ends a user\'s session, API key, Astra token and Conjur access token on every replica, in one audited transaction; a dry run changes nothing', async () => {
    const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: tenant.account.id })
    const astra = await t.app.inject({ method: 'POST', url: collectionPath(tenant.account.id, user.user.id), headers: { authorization: `Bearer ${session.token}` }, payload: tokenBody('kill-me') })
    expect(astra.statusCode).toBe(201)
    const conjur = await userHeader(t.app, tenant, user)

    const useSession = () => replica.inject({ url: '/v2.0/tenants', headers: { 'x-auth-token': session.token } })
    const useAstra = () => replica.inject({ url: collectionPath(tenant.account.id, user.user.id), headers: { authorization: `Bearer ${astra.json().token}` } })
    const useConjur = () => replica.inject({ method: 'DELETE', url: `/host_factory_tokens/${UNKNOWN_HF_TOKEN}`, headers: { authorization: conjur } })
    const useApiKey = () => replica.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.user.name, apiKey: user.apiKey } } } })
    const expectAccepted = async () => {
      expect((await useSession()).statusCode).toBe(200)
      expect((await useAstra()).statusCode).toBe(200)
      expect((await useConjur()).statusCode).toBe(404)
      expect((await useApiKey()).statusCode).toBe(200)
    }
    await expectAccepted()

    const dry = await revoke(`/users/${user.user.id}`, true)
    expect(dry.statusCode).toBe(200)
    // Two sessions: the login above and the API-key login on the replica.
    const { credentials, ...counts } = dry.json()
    expect(counts).toEqual({ dryRun: true, sessions: 2, apiKeyRevoked: true, astraTokens: 1, conjurAccessTokens: 'all issued until now', agentTokens: 0, hostFactoryTokens: 0, loginDisabled: false })
    // And one by one, by kind and accessor.
    expect(credentials.map(({ kind }: { kind: string }) => kind)).toEqual(['api-key', 'astra-token', 'session', 'session'])
    expect(credentials[0]).toEqual({ kind: 'api-key', accessor: user.apiKeyAccessor })
    await expectAccepted()

    const real = await revoke(`/users/${user.user.id}`, false)
    expect(real.statusCode).toBe(200)
    expect(real.json()).toEqual({ dryRun: false, sessions: 3, apiKeyRevoked: true, astraTokens: 1, conjurAccessTokens: 'all issued until now', agentTokens: 0, hostFactoryTokens: 0, loginDisabled: false })

    await eventually(async () => expect((await useSession()).statusCode).toBe(401))
    expect((await useSession()).json()).toEqual({ error: { message: 'The request you have made requires authentication.', code: 401, title: 'Unauthorized' } })
    const astraRefused = await useAstra()
    expect(astraRefused.statusCode).toBe(401)
    // Conjur's middleware refusal of a token that is no longer valid: 401, like every ended credential.
    const conjurRefused = await useConjur()
    expect(conjurRefused.statusCode).toBe(401)
    expect(conjurRefused.headers['content-type']).toBe('text/plain')
    expect(conjurRefused.body).toBe('Unauthorized: Invalid token')
    expect((await useApiKey()).statusCode).toBe(401)

    const trail = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?kind=credentials.revoked`, headers: { 'x-auth-token': tenant.adminToken } })
    const revocations = trail.json().items.filter((event: { object: { id: string } }) => event.object.id === user.user.id)
    expect(revocations).toEqual([expect.objectContaining({
      requestId: real.headers['x-request-id'],
      actor: { kind: 'user', id: tenant.admin.user.id, name: tenant.admin.user.name, credential: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) },
      object: { type: 'user', id: user.user.id },
      details: { sessions: 3, apiKeyRevoked: true, astraTokens: 1, conjurAccessTokens: 'all issued until now', agentTokens: 0, hostFactoryTokens: 0, loginDisabled: false }
    })])
    // The replica explains its refusals: the Conjur one by the role's revocation.
    await replica.auditQueue.flush()
    const conjurDenial = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?requestId=${conjurRefused.headers['x-request-id']}`, headers: { 'x-auth-token': tenant.adminToken } })
    expect(conjurDenial.json().items).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'revoked', actor: { kind: 'user', id: user.user.id, name: user.user.name, credential: null } })])
    const astraDenial = await t.app.inject({ url: `/admin/v1/accounts/${tenant.account.id}/audit-events?requestId=${astraRefused.headers['x-request-id']}`, headers: { 'x-auth-token': tenant.adminToken } })
    expect(astraDenial.json().items).toEqual([expect.objectContaining({ kind: 'authentication.denied', reason: 'revoked', object: { type: 'astra-token', id: astra.json().id } })])
  })

  it('ends the agent and host factory tokens the user made, and with disableLogin every login, on every replica; others\' tokens stay', async () => {
    const maker = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['admin'] })
    const makerSession = (await login(t.app, { username: maker.user.name, password: maker.password, tenantId: tenant.account.id })).token
    const makeAgentToken = async (session: string) => {
      const made = await t.app.inject({ method: 'POST', url: `/v1.0/${tenant.account.id}/agent_tokens`, headers: { 'x-auth-token': session }, payload: {} })
      expect(made.statusCode).toBe(201)
      return made.headers['x-object-id'] as string
    }
    const doomedAgentToken = await makeAgentToken(makerSession)
    const keptAgentToken = await makeAgentToken(tenant.adminToken)
    const factory = await createHostFactory(t.app, tenant)
    const doomed = await newTokens(t.app, await userHeader(t.app, tenant, maker), { host_factory: hfId(tenant, factory), count: 2 })
    const [kept] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory) })
    const readAgentToken = (id: string) => replica.inject({ url: `/v1.0/${tenant.account.id}/agent_tokens/${id}`, headers: { 'x-auth-token': tenant.adminToken } })
    expect((await readAgentToken(doomedAgentToken)).statusCode).toBe(200)
    const conjurLogin = () => replica.inject({ url: `/authn/${tenant.account.name}/login`, headers: { authorization: `Basic ${Buffer.from(`${maker.user.name}:${maker.password}`).toString('base64')}` } })
    expect((await conjurLogin()).statusCode).toBe(200)

    const url = `/admin/v1/accounts/${tenant.account.id}/users/${maker.user.id}/revoke-credentials?disableLogin=true`
    const dry = await t.app.inject({ method: 'POST', url: `${url}&dryRun=true`, headers: { 'x-auth-token': tenant.adminToken } })
    const { credentials, ...counts } = dry.json()
    expect(counts).toEqual({ dryRun: true, sessions: 1, apiKeyRevoked: true, astraTokens: 0, conjurAccessTokens: 'all issued until now', agentTokens: 1, hostFactoryTokens: 2, loginDisabled: true })
    expect(credentials.map(({ kind }: { kind: string }) => kind)).toEqual(['agent-token', 'api-key', 'host-factory-token', 'host-factory-token', 'session'])
    expect((await readAgentToken(doomedAgentToken)).statusCode).toBe(200)

    const real = await t.app.inject({ method: 'POST', url, headers: { 'x-auth-token': tenant.adminToken } })
    expect(real.json()).toEqual({ dryRun: false, sessions: 1, apiKeyRevoked: true, astraTokens: 0, conjurAccessTokens: 'all issued until now', agentTokens: 1, hostFactoryTokens: 2, loginDisabled: true })
    // The replica read the agent token a moment ago: the deletion's notification drops it.
    await eventually(async () => expect((await readAgentToken(doomedAgentToken)).statusCode).toBe(404))
    expect((await readAgentToken(keptAgentToken)).statusCode).toBe(200)
    for (const { token } of doomed) {
      const refused = await replica.inject({ method: 'POST', url: '/host_factories/hosts', headers: { authorization: `Token token="${token}"` }, payload: { id: 'never-enrolled' } })
      expect(refused.statusCode).toBe(401)
      expect(refused.body).toBe('')
    }
    expect((await createHost(replica, kept!.token, { id: `kept-${randomUUID()}` })).statusCode).toBe(201)
    // No login works: not the password (a Conjur login would have minted a fresh API key), not Keystone.
    const afterwards = await conjurLogin()
    expect(afterwards.statusCode).toBe(401)
    expect(afterwards.body).toBe('')
    expect((await replica.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: maker.user.name, password: maker.password } } } })).statusCode).toBe(401)
  })

  it('ends a Conjur host\'s API key, access tokens and the host factory tokens it made on every replica; a dry run changes nothing', async () => {
    const factory = await createHostFactory(t.app, tenant)
    const [token, othersToken] = await newTokens(t.app, await userHeader(t.app, tenant, tenant.admin), { host_factory: hfId(tenant, factory), count: 2 })
    const enrolled = await createHost(t.app, token!.token, { id: 'doomed-host' })
    expect(enrolled.statusCode).toBe(201)
    const apiKey = enrolled.json().api_key
    const hostHeader = await accessHeader(t.app, tenant.account.name, 'host/doomed-host', apiKey)
    const useToken = () => replica.inject({ method: 'DELETE', url: `/host_factory_tokens/${UNKNOWN_HF_TOKEN}`, headers: { authorization: hostHeader } })
    const useKey = () => replica.inject({ method: 'POST', url: `/authn/${tenant.account.name}/host%2Fdoomed-host/authenticate`, payload: apiKey })
    expect((await useToken()).statusCode).toBe(404)
    // With `execute` on the factory, the host makes tokens of its own.
    await grant(t.app, tenant, factory, `${tenant.account.name}:host:doomed-host`, 'execute')
    const hostMade = await newTokens(t.app, hostHeader, { host_factory: hfId(tenant, factory), count: 2 })
    expect(hostMade).toHaveLength(2)

    const dry = await revoke('/hosts/doomed-host', true)
    expect(dry.json()).toEqual({ dryRun: true, apiKeyRevoked: true, conjurAccessTokens: 'all issued until now', hostFactoryTokens: 2 })
    expect((await useKey()).statusCode).toBe(200)

    const real = await revoke('/hosts/doomed-host', false)
    expect(real.statusCode).toBe(200)
    expect(real.json()).toEqual({ dryRun: false, apiKeyRevoked: true, conjurAccessTokens: 'all issued until now', hostFactoryTokens: 2 })
    for (const made of hostMade) expect((await createHost(replica, made.token, { id: 'never-made' })).statusCode).toBe(401)
    // A user's token stays.
    expect((await createHost(replica, othersToken!.token, { id: 'still-made' })).statusCode).toBe(201)
    // The replica caches the host's role: the revocation's notification reaches it in milliseconds.
    await eventually(async () => expect((await useToken()).statusCode).toBe(401), NOTIFIED_WITHIN_MS, 1)
    expect((await useToken()).body).toBe('Unauthorized: Invalid token')
    expect((await useKey()).statusCode).toBe(401)

    const missing = await revoke('/hosts/no-such-host', false)
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ statusCode: 404, code: 'TESSERA_NOT_FOUND', message: `account ${tenant.account.id} has no host no-such-host` })
  })

  it('is refused to another account\'s admin, who learns nothing', async () => {
    const other = await newTenant(t.app)
    const user = await insertUser(t.app.db, { accountId: tenant.account.id })
    const response = await t.app.inject({ method: 'POST', url: `/admin/v1/accounts/${tenant.account.id}/users/${user.user.id}/revoke-credentials`, headers: { 'x-auth-token': other.adminToken } })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({ statusCode: 403, code: 'TESSERA_FORBIDDEN', message: 'You are not authorized to perform the requested action.' })
    expect((await t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.user.name, apiKey: user.apiKey } } } })).statusCode).toBe(200)
  })
})
