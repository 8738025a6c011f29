import { randomBytes } from 'node:crypto'
import type { App } from '../../src/app.js'
import type { Database } from '../../src/db/database.js'
import type { AccountRow } from '../../src/db/repositories/accounts.js'
import { findAccountById } from '../../src/db/repositories/accounts.js'
import { createAccount, createUser, type CreatedUser } from '../../src/services/identity.js'
import { testCredentialTools } from './test-app.js'

/** Every test makes its own records, with unique values, and asserts only on those. */
export function unique (prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`
}

export function insertAccount (db: Database, overrides: { id?: string, name?: string, enabled?: boolean } = {}): Promise<AccountRow> {
  return createAccount(db, { id: overrides.id ?? String(100000 + randomBytes(3).readUIntBE(0, 3)) + randomBytes(2).toString('hex'), name: overrides.name ?? unique('acct'), enabled: overrides.enabled })
}

export interface UserFixture extends CreatedUser {
  password: string
}

export async function insertUser (db: Database, overrides: { accountId: string, name?: string, password?: string, roles?: string[], enabled?: boolean, email?: string }): Promise<UserFixture> {
  const password = overrides.password ?? unique('pw')
  const created = await createUser(db, testCredentialTools, {
    accountId: overrides.accountId,
    name: overrides.name ?? unique('user'),
    password,
    roles: overrides.roles ?? ['member'],
    enabled: overrides.enabled,
    email: overrides.email
  })
  return { ...created, password }
}

/** An account with one user holding `roles` on it. */
export async function insertTenantUser (db: Database, roles: string[] = ['member']): Promise<{ account: AccountRow } & UserFixture> {
  const account = await insertAccount(db)
  const user = await insertUser(db, { accountId: account.id, roles })
  return { account, ...user }
}

export interface Login {
  token: string
  access: any
}

/** POST /v2.0/tokens with a password, optionally scoped; throws unless it answers 200. */
export async function login (app: App, credentials: { username: string, password: string, tenantId?: string, tenantName?: string }): Promise<Login> {
  const { username, password, ...scope } = credentials
  const response = await app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username, password }, ...scope } } })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  const body = response.json()
  return { token: body.access.token.id, access: body.access }
}

/** A session of a user with `roles` on a fresh account, scoped to it. */
export async function tenantSession (app: App, roles: string[] = ['admin']): Promise<Login & { account: AccountRow, user: UserFixture }> {
  const { account, ...user } = await insertTenantUser(app.db, roles)
  const session = await login(app, { username: user.user.name, password: user.password, tenantId: account.id })
  return { ...session, account, user }
}

/**
 * A session of a fresh administrator of the administrators' account (TESSERA_ADMIN_ACCOUNT),
 * who may act on every account. Creates that account on first use.
 */
export async function superAdminSession (app: App): Promise<Login & { user: UserFixture }> {
  const accountId = app.config.admin.account
  if (!await findAccountById(app.db, accountId)) await insertAccount(app.db, { id: accountId, name: accountId })
  const user = await insertUser(app.db, { accountId, roles: ['admin'] })
  return { ...await login(app, { username: user.user.name, password: user.password, tenantId: accountId }), user }
}
