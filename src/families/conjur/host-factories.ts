import { inTransaction } from '../../services/audit.js'
import { InvalidInput, NotFound } from '../../core/errors.js'
import type { KeysetRequest } from '../../core/pagination.js'
import { toKeysetPage, type KeysetPage } from '../../core/pagination.js'
import type { Database } from '../../db/database.js'
import type { AccountRow } from '../../db/repositories/accounts.js'
import { existingAccount, namingConflicts } from '../../services/lookups.js'
import * as repo from './repository.js'

/**
 * Host factories as Tessera's admin API and CLI manage them. Ids render the Conjur way,
 * `<account name>:<kind>:<id>` (spec §A0.5, Tessera mapping).
 */

export interface HostFactoryView {
  id: string
  owner: string | null
  layers: string[]
  permissions: Array<{ privilege: string, role: string }>
  createdAt: string
}

export function roleId (accountName: string, kind: string, id: string): string {
  return `${accountName}:${kind}:${id}`
}

function ownerOf (accountName: string, row: repo.HostFactoryRecord): string | null {
  if (row.owner_user_name !== null) return roleId(accountName, 'user', row.owner_user_name)
  if (row.owner_host_id !== null) return roleId(accountName, 'host', row.owner_host_id)
  return null
}

export function permissionRole (accountName: string, permission: repo.PermissionRecord): string {
  return permission.user_name !== null ? roleId(accountName, 'user', permission.user_name) : roleId(accountName, 'host', permission.host_id ?? '')
}

async function views (db: Database, account: AccountRow, rows: repo.HostFactoryRecord[]): Promise<HostFactoryView[]> {
  const ids = rows.map((row) => row.id)
  const layers = await repo.layersOf(db, account.id, ids)
  const permissions = await repo.permissionsOf(db, account.id, ids)
  return rows.map((row) => ({
    id: roleId(account.name, 'host_factory', row.id),
    owner: ownerOf(account.name, row),
    layers: (layers.get(row.id) ?? []).map((layer) => roleId(account.name, 'layer', layer)),
    permissions: permissions.filter((permission) => permission.host_factory_id === row.id)
      .map((permission) => ({ privilege: permission.privilege, role: permissionRole(account.name, permission) })),
    createdAt: row.created_at.toISOString()
  }))
}

export function hostFactoryNotFound (id: string): NotFound {
  return new NotFound(`host factory ${id} does not exist`, { type: 'HostFactory', key: id })
}

/**
 * The role a `<account name>:user:<name>` or `<account name>:host:<id>` id names in `account`:
 * 400 when it is not such an id of this account, 404 when no such user or host is there.
 */
export async function resolveRole (db: Database, account: AccountRow, text: string, field: string): Promise<repo.RoleRef> {
  const prefix = `${account.name}:`
  const rest = text.startsWith(prefix) ? text.slice(prefix.length) : undefined
  const kind = rest?.slice(0, rest.indexOf(':'))
  const id = rest?.slice(rest.indexOf(':') + 1) ?? ''
  if ((kind !== 'user' && kind !== 'host') || id === '') {
    throw new InvalidInput(`${field} must be ${prefix}user:<name> or ${prefix}host:<id>`, { fields: [{ path: [field], problem: 'is not a user or host of the account' }] })
  }
  if (kind === 'user') {
    const user = await repo.findUserRole(db, account.id, id)
    if (!user) throw new NotFound(`${text} does not exist`, { type: 'User', key: id })
    return { kind: 'user', userId: user.id }
  }
  if (!await repo.findHost(db, account.id, id)) throw new NotFound(`${text} does not exist`, { type: 'Host', key: id })
  return { kind: 'host', hostId: id }
}

export interface NewHostFactory {
  id: string
  layers: readonly string[]
  /** A role id; without one, the caller (a user id), or nobody but the account's admins. */
  owner?: string | undefined
}

/** Creates a host factory with its layers (creating the layers that do not exist yet), all or nothing. */
export async function createHostFactory (db: Database, accountId: string, input: NewHostFactory, callerUserId: string | null): Promise<HostFactoryView> {
  return namingConflicts('a host factory', { id: input.id }, () => inTransaction(db, async (trx) => {
    const account = await existingAccount(trx, accountId)
    const owner: repo.RoleRef | null = input.owner !== undefined
      ? await resolveRole(trx, account, input.owner, 'owner')
      : callerUserId === null ? null : { kind: 'user', userId: callerUserId }
    const layers = [...new Set(input.layers)].sort()
    await repo.ensureLayers(trx, account.id, layers)
    await repo.insertHostFactory(trx, { accountId: account.id, id: input.id, owner, layers })
    const row = await repo.findHostFactory(trx, account.id, input.id)
    return (await views(trx, account, [row!]))[0]!
  }))
}

export async function getHostFactory (db: Database, accountId: string, id: string): Promise<HostFactoryView> {
  const account = await existingAccount(db, accountId)
  const row = await repo.findHostFactory(db, account.id, id)
  if (!row) throw hostFactoryNotFound(id)
  return (await views(db, account, [row]))[0]!
}

/** A keyset page of the account's host factories by id; `after` is a bare id. */
export async function listHostFactoryPage (db: Database, accountId: string, page: KeysetRequest): Promise<KeysetPage<HostFactoryView & { key: string }>> {
  const account = await existingAccount(db, accountId)
  const rows = await repo.listHostFactories(db, account.id, page)
  const shown = await views(db, account, rows)
  return toKeysetPage(shown.map((view, index) => ({ ...view, key: rows[index]!.id })), page)
}

/** Deletes a host factory; its tokens and permissions go with it. */
export async function removeHostFactory (db: Database, accountId: string, id: string): Promise<void> {
  await existingAccount(db, accountId)
  if (!await repo.deleteHostFactory(db, accountId, id)) throw hostFactoryNotFound(id)
}

export interface PermissionChange {
  role: string
  privilege: repo.Privilege
}

/** Grants (idempotently) or withdraws (idempotently) a privilege on a host factory. */
export async function changePermission (db: Database, accountId: string, id: string, change: PermissionChange, grant: boolean): Promise<void> {
  await inTransaction(db, async (trx) => {
    const account = await existingAccount(trx, accountId)
    if (!await repo.findHostFactory(trx, account.id, id)) throw hostFactoryNotFound(id)
    const role = await resolveRole(trx, account, change.role, 'role')
    if (grant) await repo.grantPermission(trx, account.id, id, role, change.privilege)
    else await repo.revokePermission(trx, account.id, id, role, change.privilege)
  })
}
