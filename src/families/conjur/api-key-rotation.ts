import { newAccessor } from '../../core/accessors.js'
import { HOST_API_KEY_PREFIX } from './accessors.js'
import { Forbidden, NotFound, Unauthenticated } from '../../core/errors.js'
import { sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { findAccountByName } from '../../db/repositories/accounts.js'
import { userHoldsRolesElsewhere } from '../../db/repositories/role-assignments.js'
import { findUserInAccount } from '../../db/repositories/users.js'
import { rotateApiKey } from '../../services/identity.js'
import type { BasicRole } from './authn.js'
import type { Caller } from './caller.js'
import { argumentError, ConjurNotFound, ExplainedUnauthorized, NotApplicableForKeyRotation } from './errors.js'
import * as repo from './repository.js'
import { hostKeySealingContext, newConjurSecret } from './secrets.js'
import { visibleResource } from './tokens.js'

/**
 * PUT /authn/{account}/api_key, as Conjur's credentials#rotate_api_key decides it: who asks
 * (HTTP Basic or an access token), the `role=` named (422 unparseable), no HTTP Basic for another's
 * key (401), no access token for one's own key (401 that says so), the other role known and seen
 * (404) and held `update` on (403), a role with an API key (405).
 */

/** Who asks: a role HTTP Basic proved, or an access token's caller. */
export type Rotator =
  | { by: 'basic', accountId: string, accountName: string, role: BasicRole }
  | { by: 'token', caller: Caller }

/** A role `role=` names, as stored: only users and hosts have API keys. */
type NamedRole =
  | { kind: 'user', fullId: string, accountId: string, userId: string }
  | { kind: 'host', fullId: string, accountId: string, hostId: string }
  | { kind: 'layer' | 'host_factory', fullId: string }

/** A new API key and whose it is, for the reply and the audit trail. */
export interface RotatedKey {
  apiKey: string
  accessor: string
  accountId: string
  /** The role's full id, `<account>:<kind>:<id>`. */
  roleId: string
  role: { kind: 'user', userId: string } | { kind: 'host', hostId: string }
}

/** Conjur's make_full_id: `kind:id` is of the URL's account, `account:kind:id` of its own. */
function fullRoleId (value: unknown, account: string): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  // Ruby's split(':', 3): at most three parts, the last keeps the rest; nothing in an empty text.
  const first = text.indexOf(':')
  if (text === '' || first === -1) throw argumentError(`Expected at least 2 tokens in ${text}`)
  const second = text.indexOf(':', first + 1)
  return second === -1 ? `${account}:${text}` : text
}

async function namedRole (db: Database, fullId: string): Promise<NamedRole | undefined> {
  const [accountName = '', kind = '', ...rest] = fullId.split(':')
  const id = rest.join(':')
  const account = await findAccountByName(db, accountName)
  if (!account || id === '') return undefined
  switch (kind) {
    case 'user': {
      const user = await repo.findUserRole(db, account.id, id)
      return user && { kind, fullId, accountId: account.id, userId: user.id }
    }
    case 'host':
      return await repo.findHost(db, account.id, id) ? { kind, fullId, accountId: account.id, hostId: id } : undefined
    case 'layer':
      return await repo.layerExists(db, account.id, id) ? { kind, fullId } : undefined
    case 'host_factory':
      return await repo.findHostFactory(db, account.id, id) ? { kind, fullId } : undefined
  }
  return undefined
}

/** The asking role's id, as Conjur's messages name it. */
export function rotatorRoleId (rotator: Rotator): string {
  if (rotator.by === 'basic') {
    const { role, accountName } = rotator
    return role.kind === 'user' ? `${accountName}:user:${role.user.name}` : `${accountName}:host:${role.host.id}`
  }
  const { account, login } = rotator.caller
  return login.startsWith('host/') ? `${account.name}:host:${login.slice('host/'.length)}` : `${account.name}:user:${login}`
}

/** The asking role as a role to rotate: its own. */
function ownRole (rotator: Rotator): NamedRole {
  const fullId = rotatorRoleId(rotator)
  if (rotator.by === 'basic') {
    const { role, accountId } = rotator
    return role.kind === 'user' ? { kind: 'user', fullId, accountId, userId: role.user.id } : { kind: 'host', fullId, accountId, hostId: role.host.id }
  }
  const { account, role } = rotator.caller
  return role.kind === 'user' ? { kind: 'user', fullId, accountId: account.id, userId: role.userId } : { kind: 'host', fullId, accountId: account.id, hostId: role.hostId }
}

function sameRole (a: NamedRole, b: NamedRole): boolean {
  if (a.kind === 'user' && b.kind === 'user') return a.userId === b.userId
  if (a.kind === 'host' && b.kind === 'host') return a.accountId === b.accountId && a.hostId === b.hostId
  return false
}

function requestedNotFound (resource: string, rotator: Rotator): NotFound {
  return new NotFound(`CONJ00123E Resource '${resource}' requested by role '${rotatorRoleId(rotator)}' not found`)
}

/**
 * The role whose key a request rotates, once Conjur's rules allow it; throws their refusals.
 * `roleParam` is the `role` parameter (undefined without one), `account` the URL's.
 *
 * Unlike Conjur, which looks the named role up first, a role is looked up only where the caller
 * could act on it: HTTP Basic only ever rotates its own key (any other role is the same empty 401,
 * existing or not), and an access token only names roles of its own account, every unknown or
 * hidden one answered with the same 404, naming the role's full id. Else the answers would tell
 * which accounts, users and hosts exist.
 */
export async function roleToRotate (db: Database, rotator: Rotator, account: string, roleParam: unknown): Promise<NamedRole & { kind: 'user' | 'host' }> {
  const own = ownRole(rotator) as NamedRole & { kind: 'user' | 'host' }
  const fullId = roleParam === undefined ? own.fullId : fullRoleId(roleParam, account)
  if (rotator.by === 'basic') {
    if (fullId !== own.fullId) throw new Unauthenticated('Operation attempted against foreign user', { reason: 'foreign-role', accountId: rotator.accountId })
    return own
  }
  if (fullId === own.fullId) throw new ExplainedUnauthorized('Credential strength is insufficient')
  const sameAccount = fullId.startsWith(`${rotator.caller.account.name}:`)
  const role = sameAccount ? await namedRole(db, fullId) : undefined
  if (!role) throw requestedNotFound(fullId, rotator)
  if (sameRole(role, own)) throw new ExplainedUnauthorized('Credential strength is insufficient')
  await requireUpdate(db, rotator.caller, role, rotator)
  if (role.kind !== 'user' && role.kind !== 'host') throw new NotApplicableForKeyRotation(role.fullId)
  return role
}

/** Another role's key: the caller sees the role's resource and holds `update` on it (Conjur's authorize_self_or_update). */
async function requireUpdate (db: Database, caller: Caller, role: NamedRole, rotator: Rotator): Promise<void> {
  let relation: repo.Relation
  try {
    relation = (await visibleResource(db, caller, role.fullId)).relation
  } catch (error) {
    if (error instanceof ConjurNotFound) throw requestedNotFound(role.fullId, rotator)
    throw error
  }
  const allowed = (privilege: repo.Privilege) => relation.owns || relation.privileges.includes(privilege)
  const refuse = () => new Forbidden(undefined, undefined, { reason: 'missing-privilege', accountId: caller.account.id, details: { role: role.fullId } })
  // Conjur refuses a role without an API key to whoever may read it, before asking for update.
  if (role.kind !== 'user' && role.kind !== 'host' && allowed('read')) throw refuse()
  if (!allowed('update')) throw refuse()
  // Tessera's own rule (as its admin API's): a new key for a user who holds roles on other
  // accounts, or whose home is another account, would hand those over.
  if (role.kind === 'user' && (!await findUserInAccount(db, caller.account.id, role.userId) || await userHoldsRolesElsewhere(db, role.userId, caller.account.id))) throw refuse()
}

/** Issues the role a new API key; the old one stops working when this commits. */
export async function rotateRoleKey (trx: Database, box: SecretBox, role: NamedRole & { kind: 'user' | 'host' }): Promise<RotatedKey> {
  if (role.kind === 'user') {
    const { apiKey, accessor } = await rotateApiKey(trx, box, role.userId)
    return { apiKey, accessor, accountId: role.accountId, roleId: role.fullId, role: { kind: 'user', userId: role.userId } }
  }
  const apiKey = newConjurSecret()
  const accessor = newAccessor(HOST_API_KEY_PREFIX)
  await repo.replaceHostApiKey(trx, role.accountId, role.hostId, { hash: sha256(apiKey), sealed: box.seal(apiKey, hostKeySealingContext(role.accountId, role.hostId)), accessor })
  return { apiKey, accessor, accountId: role.accountId, roleId: role.fullId, role: { kind: 'host', hostId: role.hostId } }
}
