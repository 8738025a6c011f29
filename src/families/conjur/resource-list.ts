import { Forbidden } from '../../core/errors.js'
import type { ReadCache } from '../../core/notified-cache.js'
import type { SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import type { Caller } from './caller.js'
import { ConjurNotFound, unprocessable } from './errors.js'
import type { Params } from './params.js'
import { heldRole, type AssumedRole } from './permission-check.js'
import * as repo from './repository.js'
import { countResources, LISTED_KINDS, listResources, type ListedKind, type ListedRow, type ListFilter, type Viewer, type Window } from './resource-list-queries.js'
import { hostFactoryView, type HostFactoryResource } from './resources.js'
import { visibleResource } from './tokens.js'

/**
 * GET /resources/{account}[/{kind}], Conjur's resources#index (Resource.visible_to(role).search),
 * and GET /resources/{account}/{host|user|layer}/{id}, its resources#show for Tessera's roles.
 */

/** Conjur's default `api_resource_list_limit_max`: a page is at most this long. */
export const MAX_PAGE_SIZE = 1000
/** Conjur lets this `limit` through whatever the maximum, for its synchronizer. */
const SYNCHRONIZER_LIMIT = 10_000
/** Sequel's limit when only `offset` is given. */
const OFFSET_ONLY_LIMIT = 10
/** Beyond any row count; keeps `limit + offset` an exact integer in SQL's bigint. */
const MAX_WINDOW = 2 ** 52

/** A host or user as Conjur shows it: no API key, no policy (Tessera has none). */
export interface RoleResource {
  created_at: string
  id: string
  owner: string | null
  permissions: never[]
  annotations: Array<{ name: string, value: string }>
  restricted_to: never[]
}

/** A layer as Conjur shows it. */
export interface LayerResource {
  created_at: string
  id: string
  owner: string | null
  permissions: never[]
  annotations: never[]
}

export type ListedResource = HostFactoryResource | RoleResource | LayerResource

/** The answer to a listing: the page, or `{count}` with `count=true`. */
export type ResourceList = ListedResource[] | { count: number }

/** The kinds Conjur routes in `/resources/{account}/{kind}`; any other is no route at all. */
export const CONJUR_KINDS = new Set(['variable', 'public_key', 'user', 'host', 'layer', 'group', 'policy', 'webservice', 'host_factory', 'configuration'])

/** Rails' `permit`: only scalars pass; an array or a hash (`limit[]=1`) is dropped, as is null. */
function permitted (value: unknown): unknown {
  return value === null || typeof value === 'object' ? undefined : value
}

/** Ruby's to_i: leading digits (after spaces and a sign, `_` between digits), else 0. */
function toI (value: unknown): number {
  if (typeof value === 'number') return Math.trunc(value)
  if (typeof value !== 'string') return 0
  const digits = /^\s*([+-]?\d+(?:_\d+)*)/.exec(value)?.[1]
  return digits === undefined ? 0 : Number(digits.replaceAll('_', ''))
}

/** Conjur's `numeric?`: the text of an integer exactly as Ruby writes it (a JSON number is not text). */
function isNumeric (value: unknown): value is string {
  return typeof value === 'string' && /^(0|-?[1-9]\d*)$/.test(value)
}

const LIMIT_INVALID = "'limit' contains an invalid value. 'limit' must be a positive integer."
const OFFSET_INVALID = "'offset' contains an invalid value. 'offset' must be an integer greater than or equal to 0."

/** The page `limit` and `offset` ask for (Resource.search); undefined for every row (a count without them). */
function windowOf (limit: unknown, offset: unknown): Window | undefined {
  if (limit === undefined && offset === undefined) return undefined
  if (limit !== undefined && (!isNumeric(limit) || toI(limit) <= 0)) throw unprocessable(LIMIT_INVALID)
  if (offset !== undefined && (!isNumeric(offset) || toI(offset) < 0)) throw unprocessable(OFFSET_INVALID)
  return {
    limit: Math.min(limit === undefined ? OFFSET_ONLY_LIMIT : toI(limit), MAX_WINDOW),
    offset: Math.min(offset === undefined ? 0 : toI(offset), MAX_WINDOW)
  }
}

/** What a role sees: an admin everything; a user or host its host factories; a layer or a factory's own role nothing. */
function viewerOf (role: AssumedRole): Viewer | undefined {
  if (!('isAdmin' in role)) return undefined
  if (role.isAdmin) return { admin: true }
  return { admin: false, role: role.kind === 'user' ? { kind: 'user', userId: role.userId } : { kind: 'host', hostId: role.hostId } }
}

/** The kinds to list: the path's (which wins over the query's, as in Rails), else `kind=`, else all. */
function kindsOf (pathKind: string | undefined, params: Params): readonly ListedKind[] {
  const kind = pathKind ?? permitted(params.kind)
  if (kind === undefined) return LISTED_KINDS
  // Kinds Tessera has none of (variable, group, …) list nothing.
  return LISTED_KINDS.filter((listed) => listed === String(kind))
}

function timestamp (instant: Date): string {
  return instant.toISOString().replace(/Z$/, '+00:00')
}

function groupBy<T> (rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const row of rows) {
    const group = groups.get(key(row))
    if (group) group.push(row)
    else groups.set(key(row), [row])
  }
  return groups
}

/** Rows as Conjur shows them; the host factories' layers, permissions and tokens in three queries, whatever the page. */
async function render (db: Database, box: SecretBox, account: { id: string, name: string }, rows: readonly ListedRow[]): Promise<ListedResource[]> {
  const factoryIds = rows.filter((row) => row.kind === 'host_factory').map((row) => row.id)
  const [layers, permissions, tokens] = await Promise.all([
    repo.layersOf(db, account.id, factoryIds), repo.permissionsOf(db, account.id, factoryIds), repo.tokensOfFactories(db, account.id, factoryIds)
  ])
  const permissionsOf = groupBy(permissions, (permission) => permission.host_factory_id)
  const tokensOf = groupBy(tokens, (token) => token.host_factory_id)
  const id = (kind: string, identifier: string) => `${account.name}:${kind}:${identifier}`
  return rows.map((row): ListedResource => {
    if (row.kind === 'host_factory') {
      return hostFactoryView(box, {
        factory: { account_id: account.id, id: row.id, owner_user_name: row.owner_user_name, owner_host_id: row.owner_host_id, created_at: row.created_at },
        layers: layers.get(row.id) ?? [],
        permissions: permissionsOf.get(row.id) ?? [],
        tokens: tokensOf.get(row.id) ?? []
      }, account.name)
    }
    if (row.kind === 'layer') return { created_at: timestamp(row.created_at), id: id('layer', row.id), owner: null, permissions: [], annotations: [] }
    return {
      created_at: timestamp(row.created_at),
      id: id(row.kind, row.id),
      owner: row.owner_host_factory_id === null ? null : id('host_factory', row.owner_host_factory_id),
      permissions: [],
      // Conjur orders annotations by name.
      annotations: Object.entries(row.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
      restricted_to: []
    }
  })
}

/**
 * GET /resources/{account}[/{kind}] in resources#index's order: the limit's maximum (422), the
 * role to list for (`role`, else `acting_as`: an empty 403 unless the caller holds it), then
 * `limit` and `offset` (422). Another account's name lists nothing, as Conjur's account filter does.
 */
export async function listVisibleResources (db: Database, box: SecretBox, caller: Caller, account: string, pathKind: string | undefined, params: Params): Promise<ResourceList> {
  const counting = params.count === 'true'
  let limit = permitted(params.limit)
  const offset = permitted(params.offset)
  // Conjur skips the maximum for any `count`; Tessera only when counting, so a listing is always bounded.
  if (!counting) {
    if (limit === undefined && offset === undefined) limit = String(MAX_PAGE_SIZE)
    const asked = toI(limit)
    if (asked > MAX_PAGE_SIZE && asked !== SYNCHRONIZER_LIMIT) throw unprocessable(`'Limit' parameter must not exceed ${MAX_PAGE_SIZE}`)
  }
  const asRole = [params.role, params.acting_as].map(permitted).find((value) => value !== undefined && String(value).trim() !== '')
  let viewer: Viewer | undefined = caller.role.isAdmin ? { admin: true } : { admin: false, role: caller.role }
  if (asRole !== undefined) {
    const held = await heldRole(db, caller, String(asRole))
    if (!held) throw new Forbidden(undefined, undefined, { reason: 'role-not-held', accountId: caller.account.id })
    viewer = viewerOf(held)
  }
  const window = windowOf(limit, offset)
  const search = permitted(params.search)
  const kinds = account === caller.account.name && viewer ? kindsOf(pathKind, params) : []
  const filter: ListFilter = { accountId: caller.account.id, kinds, viewer: viewer ?? { admin: true }, search: search === undefined ? undefined : String(search) }
  if (counting) return { count: await countResources(db, filter, window) }
  return render(db, box, caller.account, await listResources(db, filter, window))
}

/** GET /resources/{account}/{host|user|layer}/{id}: the account's admins see them; anyone else, and anything missing, gets the 404. */
export async function showRoleResource (db: Database, box: SecretBox, caller: Caller, account: string, kind: 'host' | 'user' | 'layer', identifier: string, reads?: ReadCache): Promise<ListedResource> {
  const fullId = `${account}:${kind}:${identifier}`
  await visibleResource(db, caller, fullId, reads)
  const rows = await listResources(db, { accountId: caller.account.id, kinds: [kind], viewer: { admin: true }, id: identifier }, undefined)
  if (rows.length === 0) throw new ConjurNotFound(fullId)
  const [shown] = await render(db, box, caller.account, rows)
  return shown!
}
