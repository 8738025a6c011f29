import { randomBytes, randomUUID } from 'node:crypto'
import type { App } from '../../src/app.js'
import { insertAccount, insertUser, login, superAdminSession } from '../helpers/factories.js'
import { createToken as createAgentToken } from '../families/agent-tokens/helpers.js'
import { createToken as createAstraToken } from '../families/astra/helpers.js'
import { createHostFactory, hfId, newTokens, userHeader } from '../families/conjur/helpers.js'

/**
 * Real credentials and ids for the fuzzer to mix into its requests, so that generated requests
 * get past authentication and lookups into the deeper code. Also decoys: objects named in paths
 * but never used as credentials, so a request that does delete one leaves the fuzzer its keys.
 */
export interface FuzzFixtures {
  /** Authorization-like header sets that authenticate (each alone). */
  credentials: Array<Record<string, string>>
  /**
   * Those each API's routes accept, by family name (Conjur's host enrolment and logins apart):
   * a credential opens only the API that minted it.
   */
  credentialsOf: Record<string, Array<Record<string, string>>>
  /** Path values by kind, the first of each naming the fixtures' own account and user; `any` holds them all. */
  ids: { account: string[], user: string[], token: string[], any: string[] }
  /** The decoys' ids: a change to one of them leaves every credential the fuzzer holds working. */
  decoys: string[]
  /** Valid login bodies for Keystone and Conjur (a known name with its password). */
  logins: { keystone: unknown[], basic: string[] }
}

export async function createFuzzFixtures (app: App): Promise<FuzzFixtures> {
  const account = await insertAccount(app.db, { id: randomUUID() })
  const admin = await insertUser(app.db, { accountId: account.id, roles: ['admin'] })
  const member = await insertUser(app.db, { accountId: account.id, roles: ['member'] })
  const adminSession = await login(app, { username: admin.user.name, password: admin.password, tenantId: account.id })
  const memberSession = await login(app, { username: member.user.name, password: member.password, tenantId: account.id })
  const decoySession = await login(app, { username: member.user.name, password: member.password, tenantId: account.id })
  const superAdmin = await superAdminSession(app)

  const monitoring = { token: adminSession.token, tenantId: account.id }
  const agentTokens = [await createAgentToken(app, monitoring), await createAgentToken(app, monitoring)]
  const astraCaller = { accountId: account.id, userId: member.user.id, user: member, token: memberSession.token }
  const astraTokens = [await createAstraToken(app, astraCaller), await createAstraToken(app, astraCaller)]

  const tenant = { account, adminToken: adminSession.token, admin }
  const factory = await createHostFactory(app, tenant)
  const conjurAccess = await userHeader(app, tenant, admin)
  const hfTokens = await newTokens(app, conjurAccess, { host_factory: hfId(tenant, factory), count: 2, cidr: ['127.0.0.1', '0.0.0.0/0'] })

  const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}`
  const ids = {
    account: [account.id, account.name, app.config.admin.account, String(100000 + randomBytes(2).readUInt16BE())],
    user: [member.user.id, admin.user.id, admin.user.name, member.user.name, superAdmin.user.user.id],
    token: [decoySession.token, agentTokens[1]!, astraTokens[1].id, hfTokens[1]!.token, factory, 'admin', 'member', `host/${factory}`, `${account.name}:host_factory:${factory}`]
  }
  const sessions = [{ 'x-auth-token': adminSession.token }, { 'x-auth-token': memberSession.token }, { 'x-auth-token': superAdmin.token }]
  const astra = [{ authorization: `Bearer ${memberSession.token}` }, { authorization: `Bearer ${astraTokens[0].token}` }]
  const conjur = [{ authorization: conjurAccess }]
  const conjurHosts = [{ authorization: `Token token="${hfTokens[0]!.token}"` }]
  const conjurLogins = [{ authorization: basic(admin.user.name, admin.password) }, { authorization: basic(member.user.name, member.apiKey) }]
  return {
    credentials: [...sessions, ...astra, ...conjur, ...conjurHosts, ...conjurLogins],
    credentialsOf: { keystone: sessions, 'agent-tokens': sessions.slice(0, 1), admin: [sessions[0]!, sessions[2]!], astra, conjur, 'conjur-hosts': conjurHosts, 'conjur-logins': conjurLogins },
    ids: { ...ids, any: [...ids.account, ...ids.user, ...ids.token, agentTokens[0]!, astraTokens[0].id] },
    decoys: [decoySession.token, agentTokens[1]!, astraTokens[1].id, hfTokens[1]!.token],
    logins: {
      keystone: [
        { auth: { passwordCredentials: { username: member.user.name, password: member.password }, tenantId: account.id } },
        { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: admin.user.name, apiKey: admin.apiKey } } }
      ],
      basic: [member.apiKey]
    }
  }
}
