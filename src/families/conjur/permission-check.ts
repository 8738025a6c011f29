import { Forbidden } from '../../core/errors.js'
import type { ReadCache } from '../../core/notified-cache.js'
import type { Database } from '../../db/database.js'
import type { Caller } from './caller.js'
import { argumentError } from './errors.js'
import type { Params } from './params.js'
import * as repo from './repository.js'
import { visibleResource } from './tokens.js'

/**
 * GET /resources/{account}/{kind}/{id}?check=true&privilege=P[&role=<id>], Conjur's
 * resources#check_permission: whether the caller (or a role the caller holds) has privilege P on
 * the resource. Conjur's order decides which refusal wins: no privilege (422), a role the caller
 * does not hold (empty 403), a resource the caller cannot see (404 with its body); then the
 * answer, 204 or an empty 404.
 */

/** A role `role=` may name: Tessera's users and hosts, and the layers and host factories' own roles. */
export type AssumedRole =
  | (repo.RoleRef & { isAdmin: boolean })
  | { kind: 'layer' | 'host_factory', id: string }

/** Rails' `presence`: blank text (empty or only whitespace) counts as absent. */
function present (value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value
}

function isCaller (caller: Caller, role: AssumedRole): boolean {
  const own = caller.role
  return (role.kind === 'user' && own.kind === 'user' && role.userId === own.userId) ||
    (role.kind === 'host' && own.kind === 'host' && role.hostId === own.hostId)
}

/**
 * The role a full id names, when the caller holds it (Conjur's `ancestor_of?`): its own role; any
 * role of the account for an admin (owners hold what they own, and admins own everything); a
 * host the layers it is in; a host factory's owner the factory's role. Undefined otherwise,
 * and for ids naming nothing: Conjur refuses both with the same 403.
 */
export async function heldRole (db: Database, caller: Caller, id: unknown): Promise<AssumedRole | undefined> {
  if (typeof id !== 'string') return undefined
  const [accountName, kind, ...rest] = id.split(':')
  const identifier = rest.join(':')
  if (accountName !== caller.account.name || identifier === '') return undefined
  const accountId = caller.account.id
  const own = caller.role
  switch (kind) {
    case 'user': {
      const user = await repo.findUserRole(db, accountId, identifier)
      const role = user && { kind: 'user' as const, userId: user.id, isAdmin: user.is_admin }
      return role && (own.isAdmin || isCaller(caller, role)) ? role : undefined
    }
    case 'host': {
      const role = await repo.findHost(db, accountId, identifier) && { kind: 'host' as const, hostId: identifier, isAdmin: false }
      return role && (own.isAdmin || isCaller(caller, role)) ? role : undefined
    }
    case 'layer': {
      if (!await repo.layerExists(db, accountId, identifier)) return undefined
      const held = own.isAdmin || (own.kind === 'host' && await repo.hostInLayer(db, accountId, own.hostId, identifier))
      return held ? { kind, id: identifier } : undefined
    }
    case 'host_factory': {
      const factory = await repo.findHostFactory(db, accountId, identifier)
      if (!factory) return undefined
      const owns = own.kind === 'user' ? factory.owner_user_name === caller.login : factory.owner_host_id === own.hostId
      return own.isAdmin || owns ? { kind, id: identifier } : undefined
    }
  }
  return undefined
}

/** Whether the check is granted; throws Conjur's refusals (see above). */
export async function checkPermission (db: Database, caller: Caller, fullId: string, params: Params, reads?: ReadCache): Promise<boolean> {
  const { privilege } = params
  if (privilege === undefined || privilege === null) throw argumentError('privilege')
  // Ruby compares the parameter's text: a nested value names no privilege anyone holds.
  const wanted = typeof privilege === 'string' ? privilege : JSON.stringify(privilege)
  const roleId = present(params.role)
  const assumed = roleId === undefined ? undefined : await heldRole(db, caller, roleId)
  if (roleId !== undefined && !assumed) throw new Forbidden(undefined, undefined, { reason: 'role-not-held', accountId: caller.account.id })
  const resource = await visibleResource(db, caller, fullId, reads)
  let relation: repo.Relation | undefined = resource.relation
  if (assumed && !isCaller(caller, assumed)) relation = await relationOf(db, caller.account.id, resource, assumed)
  return relation !== undefined && (relation.owns || relation.privileges.includes(wanted))
}

/**
 * Another role's relation to a resource the caller sees. Privileges are granted on host
 * factories only, to users and hosts; every other resource is owned by the account's admins.
 */
async function relationOf (db: Database, accountId: string, resource: { kind: string, factoryId: string }, role: AssumedRole): Promise<repo.Relation | undefined> {
  if (role.kind !== 'user' && role.kind !== 'host') return undefined
  if (resource.kind === 'host_factory') return repo.relationTo(db, accountId, resource.factoryId, role)
  return role.isAdmin ? { owns: true, privileges: [] } : undefined
}
