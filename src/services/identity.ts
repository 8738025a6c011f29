import { Conflict, InvalidInput, NotFound } from '../core/errors.js'
import { generateApiKey, hashApiKey, hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../core/credentials.js'
import { randomHex } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js'
import { deleteAccount, findAccountById, findAccountByName, insertAccount, updateAccount } from '../db/repositories/accounts.js'
import { replaceApiKey } from '../db/repositories/api-keys.js'
import { revokeSessionsOfAccount, revokeSessionsOfUser, revokeSessionsWithRole } from '../db/repositories/auth-sessions.js'
import { grantRole, listRoleNames, revokeRole } from '../db/repositories/role-assignments.js'
import { deleteUser, findUserById, findUserByName, insertUser, updateUser, type UserRecord } from '../db/repositories/users.js'
import type { AccountRow } from '../db/schema.js'

/** Use cases shared by the admin API and the operator CLI. */

export function newId (): string {
  return randomHex(16)
}

function checkPassword (password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new InvalidInput(`password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters`, {
      fields: [{ path: ['password'], problem: `must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters` }]
    })
  }
}

/** Names the clashing column of a unique violation, for a clear 409. */
function conflictOn (error: unknown, what: string, values: Record<string, string | undefined>): Conflict {
  const constraint = String((error as { constraint?: string }).constraint ?? '')
  const column = constraint.endsWith('_pkey') ? 'id' : constraint.endsWith('_name_key') ? 'name' : undefined
  const value = column ? values[column] : undefined
  return new Conflict(column && value !== undefined ? `${what} with ${column} ${value} already exists` : `${what} with this id or name already exists`)
}

export async function createAccount (db: Database, input: { id?: string | undefined, name: string, enabled?: boolean | undefined }): Promise<AccountRow> {
  const id = input.id ?? newId()
  try {
    return await insertAccount(db, { id, name: input.name, enabled: input.enabled ?? true })
  } catch (error) {
    if (isUniqueViolation(error)) throw conflictOn(error, 'an account', { id, name: input.name })
    throw error
  }
}

/**
 * Renames, enables or disables an account. Disabling also revokes its sessions in the same
 * transaction, so enabling it again does not bring old tokens back (Keystone revokes too).
 */
export async function changeAccount (db: Database, id: string, changes: { name?: string | undefined, enabled?: boolean | undefined }): Promise<AccountRow> {
  try {
    return await db.transaction().execute(async (trx) => {
      const account = await updateAccount(trx, id, withoutUndefined(changes))
      if (!account) throw accountNotFound(id)
      if (changes.enabled === false) await revokeSessionsOfAccount(trx, id)
      return account
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw conflictOn(error, 'an account', { name: changes.name })
    throw error
  }
}

/** Deletes an account with its users, tokens and sessions. The admin account cannot be deleted. */
export async function removeAccount (db: Database, id: string, adminAccountId: string): Promise<void> {
  if (id === adminAccountId) throw new Conflict(`account ${id} is the administrators' account and cannot be deleted`)
  if (!await deleteAccount(db, id)) throw accountNotFound(id)
}

/** Finds an account by id, else by name (the CLI takes either). */
export async function resolveAccount (db: Database, idOrName: string): Promise<AccountRow> {
  const account = await findAccountById(db, idOrName) ?? await findAccountByName(db, idOrName)
  if (!account) throw accountNotFound(idOrName)
  return account
}

/** Finds a user by id, else by name (the CLI takes either). */
export async function resolveUser (db: Database, idOrName: string): Promise<UserRecord> {
  const user = await findUserById(db, idOrName) ?? await findUserByName(db, idOrName)
  if (!user) throw userNotFound(idOrName)
  return user
}

function accountNotFound (id: string): NotFound {
  return new NotFound(`account ${id} does not exist`, { type: 'Account', key: id })
}

function userNotFound (id: string): NotFound {
  return new NotFound(`user ${id} does not exist`, { type: 'User', key: id })
}

function withoutUndefined<T extends object> (changes: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
}

export interface NewUserInput {
  accountId: string
  name: string
  password?: string | undefined
  email?: string | undefined
  roles?: string[] | undefined
  enabled?: boolean | undefined
}

export interface CreatedUser {
  user: UserRecord
  roles: string[]
  /** Shown once; only its SHA-256 is stored. */
  apiKey: string
}

/** Creates a user with their roles on their account and a first API key, all or nothing. */
export async function createUser (db: Database, input: NewUserInput): Promise<CreatedUser> {
  if (input.password !== undefined) checkPassword(input.password)
  // Hash before the transaction: argon2 takes tens of milliseconds and needs no lock.
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password)
  const apiKey = generateApiKey()
  try {
    return await db.transaction().execute(async (trx) => {
      if (!await findAccountById(trx, input.accountId)) throw accountNotFound(input.accountId)
      const user = await insertUser(trx, {
        id: newId(),
        account_id: input.accountId,
        name: input.name,
        email: input.email ?? null,
        password_hash: passwordHash,
        enabled: input.enabled ?? true
      })
      for (const role of new Set(input.roles ?? [])) await grantRole(trx, { userId: user.id, accountId: input.accountId, role })
      await replaceApiKey(trx, user.id, hashApiKey(apiKey))
      return { user, roles: await listRoleNames(trx, user.id, input.accountId), apiKey }
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw conflictOn(error, 'a user', { name: input.name })
    throw error
  }
}

/**
 * Changes a user. Disabling them or setting a new password also revokes their sessions in
 * the same transaction, as Keystone does: old tokens never come back.
 */
export async function changeUser (db: Database, id: string, changes: { name?: string | undefined, email?: string | null | undefined, enabled?: boolean | undefined, password?: string | undefined }): Promise<UserRecord> {
  const { password, ...rest } = changes
  if (password !== undefined) checkPassword(password)
  const passwordHash = password === undefined ? undefined : await hashPassword(password)
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await updateUser(trx, id, withoutUndefined({ ...rest, password_hash: passwordHash }))
      if (!user) throw userNotFound(id)
      if (changes.enabled === false || password !== undefined) await revokeSessionsOfUser(trx, id)
      return user
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw conflictOn(error, 'a user', { name: changes.name })
    throw error
  }
}

export async function removeUser (db: Database, id: string): Promise<void> {
  if (!await deleteUser(db, id)) throw userNotFound(id)
}

/** Grants a role on an account; idempotent. 404 when the user or the account does not exist. */
export async function assignRole (db: Database, userId: string, accountId: string, role: string): Promise<void> {
  try {
    await grantRole(db, { userId, accountId, role })
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error
    throw await findUserById(db, userId) ? accountNotFound(accountId) : userNotFound(userId)
  }
}

/** Issues a new API key for a user, replacing the old one at once. */
export async function rotateApiKey (db: Database, userId: string): Promise<string> {
  const apiKey = generateApiKey()
  await db.transaction().execute(async (trx) => {
    if (!await findUserById(trx, userId)) throw userNotFound(userId)
    await replaceApiKey(trx, userId, hashApiKey(apiKey))
  })
  return apiKey
}

export function setPassword (db: Database, userId: string, password: string): Promise<UserRecord> {
  return changeUser(db, userId, { password })
}

/**
 * changeAccount, except that the administrators' account cannot be disabled: that would
 * end every administrator's session and refuse their logins.
 */
export async function changeAdministeredAccount (db: Database, id: string, changes: { name?: string | undefined, enabled?: boolean | undefined }, adminAccountId: string): Promise<AccountRow> {
  if (id === adminAccountId && changes.enabled === false) throw new Conflict(`account ${id} is the administrators' account and cannot be disabled`)
  return changeAccount(db, id, changes)
}

/**
 * Withdraws a role and, in the same transaction, revokes the user's sessions on that account
 * that carry it: a session's roles are fixed when it is issued. False when the user did not hold it.
 */
export function withdrawRole (db: Database, userId: string, accountId: string, role: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!await revokeRole(trx, { userId, accountId, role })) return false
    await revokeSessionsWithRole(trx, userId, accountId, role)
    return true
  })
}
