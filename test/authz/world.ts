import { randomUUID } from 'node:crypto'
import type { App } from '../../src/app.js'
import { sha256 } from '../../src/core/secrets.js'
import { insertAccount, insertUser, login, superAdminSession, unique, type UserFixture } from '../helpers/factories.js'
import { createToken as createAgentToken } from '../families/agent-tokens/helpers.js'
import { createToken as createAstraToken } from '../families/astra/helpers.js'
import { accessHeader, createHost, createHostFactory, hfId, newTokens, userHeader } from '../families/conjur/helpers.js'

/** The kinds of caller every route is tried with. */
export const CALLERS = ['anonymous', 'expired', 'revoked', 'otherAdmin', 'member', 'admin', 'host', 'otherAstra', 'superAdmin'] as const
export type CallerKind = (typeof CALLERS)[number]

/** A caller's credential in each header dialect: X-Auth-Token, Bearer, Conjur's Token. */
export interface CallerHeaders {
  xAuth: Record<string, string>
  bearer: Record<string, string>
  conjur: Record<string, string>
}

/**
 * Account A, whose objects every route names: its member `owner` owns an Astra token, an agent
 * token and a host factory with tokens live in it. Account B has an admin of its own.
 */
export interface World {
  a: { id: string, name: string }
  owner: UserFixture
  ownerAstraToken: string
  agentToken: string
  factory: string
  hfToken: string
  callers: Record<CallerKind, CallerHeaders>
  /** A credential that works on account A, for the factories of the routes (fresh objects to change). */
  aAdmin: { session: string, conjur: string, user: UserFixture }
  superAdmin: string
}

const none: CallerHeaders = { xAuth: {}, bearer: {}, conjur: {} }
const session = (token: string, conjur: string): CallerHeaders => ({ xAuth: { 'x-auth-token': token }, bearer: { authorization: `Bearer ${token}` }, conjur: { authorization: conjur } })

export async function buildWorld (app: App): Promise<World> {
  const a = await insertAccount(app.db, { id: randomUUID() })
  const b = await insertAccount(app.db, { id: randomUUID() })
  const aAdmin = await insertUser(app.db, { accountId: a.id, roles: ['admin'] })
  const member = await insertUser(app.db, { accountId: a.id, roles: ['member'] })
  const owner = await insertUser(app.db, { accountId: a.id, roles: ['member'] })
  const bAdmin = await insertUser(app.db, { accountId: b.id, roles: ['admin'] })
  const scoped = async (user: UserFixture, accountId: string) => (await login(app, { username: user.user.name, password: user.password, tenantId: accountId })).token
  const aAdminSession = await scoped(aAdmin, a.id)
  const memberSession = await scoped(member, a.id)
  const ownerSession = await scoped(owner, a.id)
  const bAdminSession = await scoped(bAdmin, b.id)
  const superAdmin = await superAdminSession(app)

  const tenantA = { account: a, adminToken: aAdminSession, admin: aAdmin }
  const aAdminConjur = await userHeader(app, tenantA, aAdmin)
  const factory = await createHostFactory(app, tenantA)
  const hfTokens = await newTokens(app, aAdminConjur, { host_factory: hfId(tenantA, factory), count: 3 })
  const hostId = unique('host')
  const enrolled = await createHost(app, hfTokens[0]!.token, { id: hostId })
  if (enrolled.statusCode !== 201) throw new Error(`host: ${enrolled.statusCode} ${enrolled.body}`)
  const hostConjur = await accessHeader(app, a.name, `host/${hostId}`, enrolled.json().api_key)

  // Expired and revoked: sessions, and host factory tokens for Conjur's header.
  const expiredLogin = await login(app, { username: member.user.name, password: member.password, tenantId: a.id })
  const expired = expiredLogin.token
  await app.db.updateTable('auth_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('audit_id', '=', expiredLogin.access.token.audit_ids[0]).execute()
  const revoked = await scoped(member, a.id)
  await app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': revoked } })
  await app.db.updateTable('host_factory_tokens').set({ expiration: new Date(Date.now() - 1000) }).where('token_sha256', '=', sha256(hfTokens[1]!.token)).execute()
  await app.inject({ method: 'DELETE', url: `/host_factory_tokens/${hfTokens[2]!.token}`, headers: { authorization: aAdminConjur } })

  const ownerAstra = await createAstraToken(app, { accountId: a.id, userId: owner.user.id, user: owner, token: ownerSession })
  const memberAstra = await createAstraToken(app, { accountId: a.id, userId: member.user.id, user: member, token: memberSession })
  const agentToken = await createAgentToken(app, { token: aAdminSession, tenantId: a.id })

  const tenantB = { account: b, adminToken: bAdminSession, admin: bAdmin }
  const superAdminConjur = await accessHeader(app, app.config.admin.account, superAdmin.user.user.name, superAdmin.user.apiKey)
  return {
    a: { id: a.id, name: a.name },
    owner,
    ownerAstraToken: ownerAstra.id,
    agentToken,
    factory,
    hfToken: hfTokens[0]!.token,
    aAdmin: { session: aAdminSession, conjur: aAdminConjur, user: aAdmin },
    superAdmin: superAdmin.token,
    callers: {
      anonymous: none,
      expired: { ...session(expired, `Token token="${hfTokens[1]!.token}"`) },
      revoked: { ...session(revoked, `Token token="${hfTokens[2]!.token}"`) },
      otherAdmin: session(bAdminSession, await userHeader(app, tenantB, bAdmin)),
      member: session(memberSession, await userHeader(app, tenantA, member)),
      admin: session(aAdminSession, aAdminConjur),
      host: { xAuth: { authorization: hostConjur }, bearer: { authorization: hostConjur }, conjur: { authorization: hostConjur } },
      otherAstra: { xAuth: { authorization: `Bearer ${memberAstra.token}` }, bearer: { authorization: `Bearer ${memberAstra.token}` }, conjur: { authorization: `Bearer ${memberAstra.token}` } },
      superAdmin: session(superAdmin.token, superAdminConjur)
    }
  }
}
