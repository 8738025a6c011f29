import { inTransaction } from './audit.js'
import { Conflict, InvalidInput } from '../core/errors.js'
import { generateApiKey, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, storedApiKey, type CredentialTools, type PasswordHasher } from '../core/credentials.js'
import type { SecretBox } from '../core/secrets.js'
import { newUuid } from '../core/identifiers.js'
import type { Database } from '../db/database.js'
import { isForeignKeyViolation } from '../db/errors.js'
import { deleteAccount, findAccountById, insertAccount, updateAccount, type AccountRow } from '../db/repositories/accounts.js'
import { replaceApiKey } from '../db/repositories/api-keys.js'
import { revokeSessionsOfAccount, revokeSessionsOfUser, revokeSessionsWithRole } from '../db/repositories/auth-sessions.js'
import { grantRole, listRoleNames, revokeRole } from '../db/repositories/role-assignments.js'
import { deleteUser, findUserById, insertUser, updateUser, type UserRecord } from '../db/repositories/users.js'
import { accountNotFound, namingConflicts, userNotFound } from './lookups.js'

/** Use cases that change identity data, shared by the admin API and the operator CLI. */

function checkPassword (password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new InvalidInput(`password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters`, {
      fields: [{ path: ['password'], problem: `must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters` }]
    })
  }
}

function withoutUndefined<T extends object> (changes: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
}

export function createAccount (db: Database, input: { id?: string | undefined, name: string, enabled?: boolean | undefined }): Promise<AccountRow> {
  const id = input.id ?? newUuid()
  return namingConflicts('an account', { id, name: input.name }, () => insertAccount(db, { id, name: input.name, enabled: input.enabled ?? true }))
}

/**
 * Renames, enables or disables an account. Disabling also revokes its sessions in the same
 * transaction, so enabling it again does not bring old tokens back (Keystone revokes too).
 * The administrators' account cannot be disabled: that would lock every administrator out.
 */
export function changeAccount (db: Database, id: string, changes: { name?: string | undefined, enabled?: boolean | undefined }, adminAccountId: string): Promise<AccountRow> {
  if (id === adminAccountId && changes.enabled === false) throw new Conflict(`account ${id} is the administrators' account and cannot be disabled`)
  return namingConflicts('an account', { name: changes.name }, () => inTransaction(db, async (trx) => {
    const account = await updateAccount(trx, id, withoutUndefined(changes))
    if (!account) throw accountNotFound(id)
    if (changes.enabled === false) await revokeSessionsOfAccount(trx, id)
    return account
  }))
}

/** Deletes an account with its users, tokens and sessions. The administrators' account cannot be deleted. */
export async function removeAccount (db: Database, id: string, adminAccountId: string): Promise<void> {
  if (id === adminAccountId) throw new Conflict(`account ${id} is the administrators' account and cannot be deleted`)
  if (!await deleteAccount(db, id)) throw accountNotFound(id)
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
  /** Shown once; stored as its SHA-256 and a sealed copy. */
  apiKey: string
  /** The key's non-secret handle. */
  apiKeyAccessor: string
}

/** Creates a user with their roles on their account and a first API key, all or nothing. */
export async function createUser (db: Database, tools: CredentialTools, input: NewUserInput): Promise<CreatedUser> {
  if (input.password !== undefined) checkPassword(input.password)
  // Hash before the transaction: argon2 takes tens of milliseconds and needs no lock.
  const passwordHash = input.password === undefined ? null : await tools.passwords.hash(input.password)
  const apiKey = generateApiKey()
  return namingConflicts('a user', { name: input.name }, () => inTransaction(db, async (trx) => {
    if (!await findAccountById(trx, input.accountId)) throw accountNotFound(input.accountId)
    const user = await insertUser(trx, {
      id: newUuid(),
      account_id: input.accountId,
      name: input.name,
      email: input.email ?? null,
      password_hash: passwordHash,
      enabled: input.enabled ?? true
    })
    for (const role of new Set(input.roles ?? [])) await grantRole(trx, { userId: user.id, accountId: input.accountId, role })
    const apiKeyAccessor = await replaceApiKey(trx, user.id, storedApiKey(tools.box, user.id, apiKey))
    return { user, roles: await listRoleNames(trx, user.id, input.accountId), apiKey, apiKeyAccessor }
  }))
}

export interface UserChanges {
  name?: string | undefined
  email?: string | null | undefined
  enabled?: boolean | undefined
  password?: string | undefined
}

/**
 * Changes a user. Disabling them or setting a new password also revokes their sessions in
 * the same transaction, as Keystone does: old tokens never come back.
 */
export async function changeUser (db: Database, passwords: PasswordHasher, id: string, changes: UserChanges): Promise<UserRecord> {
  const { password, ...rest } = changes
  if (password !== undefined) checkPassword(password)
  const passwordHash = password === undefined ? undefined : await passwords.hash(password)
  return namingConflicts('a user', { name: changes.name }, () => inTransaction(db, async (trx) => {
    const user = await updateUser(trx, id, withoutUndefined({ ...rest, password_hash: passwordHash }))
    if (!user) throw userNotFound(id)
    if (changes.enabled === false || password !== undefined) await revokeSessionsOfUser(trx, id)
    return user
  }))
}

export async function removeUser (db: Database, id: string): Promise<void> {
  if (!await deleteUser(db, id)) throw userNotFound(id)
}

/** Grants a role on an account; idempotent. 404 when the user or the account does not exist. */
export async function assignRole (db: Database, userId: string, accountId: string, role: string): Promise<void> {
  // Checked first: inside a caller's transaction, a failed insert would abort it (and the lookups below).
  if (!await findUserById(db, userId)) throw userNotFound(userId)
  if (!await findAccountById(db, accountId)) throw accountNotFound(accountId)
  try {
    await grantRole(db, { userId, accountId, role })
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error
    throw await findUserById(db, userId) ? accountNotFound(accountId) : userNotFound(userId)
  }
}

/**
 * Withdraws a role and, in the same transaction, revokes the user's sessions on that account
 * that carry it: a session's roles are fixed when it is issued. False when the user did not hold it.
 */
export function withdrawRole (db: Database, userId: string, accountId: string, role: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    if (!await revokeRole(trx, { userId, accountId, role })) return false
    await revokeSessionsWithRole(trx, userId, accountId, role)
    return true
  })
}

/** A user's new API key, shown once, and its accessor. */
export interface IssuedApiKey {
  apiKey: string
  accessor: string
}

/** Issues a new API key for a user, replacing the old one at once. */
export async function rotateApiKey (db: Database, box: SecretBox, userId: string): Promise<IssuedApiKey> {
  const apiKey = generateApiKey()
  const accessor = await inTransaction(db, async (trx) => {
    if (!await findUserById(trx, userId)) throw userNotFound(userId)
    return replaceApiKey(trx, userId, storedApiKey(box, userId, apiKey))
  })
  return { apiKey, accessor }
}
