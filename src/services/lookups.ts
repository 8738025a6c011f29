import { Conflict, NotFound } from '../core/errors.js'
import type { Database } from '../db/database.js'
import { isUniqueViolation } from '../db/errors.js'
import { findAccountById, findAccountByName, type AccountRow } from '../db/repositories/accounts.js'
import { findUserById, findUserByName, findUserInAccount, type UserRecord } from '../db/repositories/users.js'

/** The one place identity records are found or found missing, and clashes named. */

export function accountNotFound (id: string): NotFound {
  return new NotFound(`account ${id} does not exist`, { type: 'Account', key: id })
}

export function userNotFound (id: string): NotFound {
  return new NotFound(`user ${id} does not exist`, { type: 'User', key: id })
}

export async function existingAccount (db: Database, accountId: string): Promise<AccountRow> {
  return await findAccountById(db, accountId) ?? Promise.reject(accountNotFound(accountId))
}

/** A user is reached through their home account: under any other account they do not exist. */
export async function existingUserOf (db: Database, accountId: string, userId: string): Promise<UserRecord> {
  return await findUserInAccount(db, accountId, userId) ?? Promise.reject(userNotFound(userId))
}

export async function existingUser (db: Database, userId: string): Promise<UserRecord> {
  return await findUserById(db, userId) ?? Promise.reject(userNotFound(userId))
}

/** Finds an account by id, else by name (the CLI takes either). */
export async function resolveAccount (db: Database, idOrName: string): Promise<AccountRow> {
  return await findAccountById(db, idOrName) ?? await findAccountByName(db, idOrName) ?? Promise.reject(accountNotFound(idOrName))
}

/** Finds a user by id, else by name (the CLI takes either). */
export async function resolveUser (db: Database, idOrName: string): Promise<UserRecord> {
  return await findUserById(db, idOrName) ?? await findUserByName(db, idOrName) ?? Promise.reject(userNotFound(idOrName))
}

/**
 * Runs a write that may break a unique constraint, turning that into a 409 naming the
 * clashing column (`id` for the primary key, `name` for a `*_name_key`) and its value.
 */
export async function namingConflicts<T> (what: string, values: Record<string, string | undefined>, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const constraint = String((error as { constraint?: string }).constraint ?? '')
    const column = constraint.endsWith('_pkey') ? 'id' : constraint.endsWith('_name_key') ? 'name' : undefined
    const value = column ? values[column] : undefined
    throw new Conflict(column && value !== undefined ? `${what} with ${column} ${value} already exists` : `${what} with this id or name already exists`)
  }
}
