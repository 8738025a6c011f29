import { sql, type RawBuilder } from 'kysely'
import type { Database } from '../../db/database.js'
import type { RoleRef } from './repository.js'

/**
 * SQL of Conjur's resource listing: the host factories, hosts, layers and users of an account a
 * role sees, in resource-id order. `account:kind:identifier` sorts by kind first (in code-point
 * order `host:` < `host_factory:`, as ':' < '_'), then by identifier: each kind is one range
 * scan of its `(account_id, id collate "C")` index (migration 0018).
 */

/** The kinds Tessera has, in the order their resource ids sort. */
export const LISTED_KINDS = ['host', 'host_factory', 'layer', 'user'] as const
export type ListedKind = typeof LISTED_KINDS[number]

/** Who looks: an admin of the account sees everything; any other user or host the host factories it owns or holds a privilege on. */
export type Viewer = { admin: true } | { admin: false, role: RoleRef }

/** A listed resource as stored: what its view needs but a host factory's layers, permissions and tokens. */
export interface ListedRow {
  kind: ListedKind
  id: string
  created_at: Date
  owner_user_name: string | null
  owner_host_id: string | null
  owner_host_factory_id: string | null
  annotations: Record<string, string>
}

export interface ListFilter {
  accountId: string
  kinds: readonly ListedKind[]
  viewer: Viewer
  /** Conjur's full-text search (ids, annotation values, kind); undefined for none. */
  search?: string | undefined
  /** One resource by identifier (GET /resources/{account}/{kind}/{id}). */
  id?: string | undefined
}

/** A page: `offset` rows skipped, at most `limit` shown. */
export interface Window {
  limit: number
  offset: number
}

/**
 * Conjur's search (its resources_textsearch): the English words of the identifier with `.`, `/`
 * and `-` read as spaces, of the annotation values and of the kind, against plainto_tsquery of
 * the term read the same way. Computed per row, without an index: the account's rows are walked
 * in id order until the page is full.
 */
function matches (search: string, identifier: RawBuilder<unknown>, annotations: RawBuilder<unknown>, kind: ListedKind): RawBuilder<boolean> {
  return sql<boolean>`to_tsvector('pg_catalog.english', translate(${identifier}, './-', '   ') || ' ' || ${annotations} || ' ' || ${sql.lit(kind)})
    @@ plainto_tsquery('pg_catalog.english', translate(${search}, './-', '   '))`
}

/** The rows of one kind the viewer sees, and the column they sort by; undefined when it sees none of them. */
function branch (kind: ListedKind, filter: ListFilter): { rows: RawBuilder<unknown>, key: RawBuilder<unknown> } | undefined {
  const { accountId, viewer, search, id } = filter
  const conditions: Array<RawBuilder<unknown>> = []
  const where = (key: RawBuilder<unknown>, annotations: RawBuilder<unknown>) => {
    if (id !== undefined) conditions.push(sql`${key} = ${id}`)
    if (search !== undefined) conditions.push(matches(search, key, annotations, kind))
    return conditions.length === 0 ? sql`` : sql` and ${sql.join(conditions, sql` and `)}`
  }
  const none = sql`''`
  switch (kind) {
    case 'host': {
      if (!viewer.admin) return undefined
      const key = sql`h.id`
      return {
        key,
        rows: sql`select 'host'::text as kind, h.id, h.created_at, null::text as owner_user_name, null::text as owner_host_id, h.owner_host_factory_id, h.annotations
          from hosts h where h.account_id = ${accountId}${where(key, sql`coalesce((select string_agg(value, ' ') from jsonb_each_text(h.annotations)), '')`)}`
      }
    }
    case 'host_factory': {
      const key = sql`f.id`
      if (!viewer.admin) {
        const { role } = viewer
        const [owner, holder, roleKey] = role.kind === 'user' ? [sql`o.owner_user_id`, sql`p.user_id`, role.userId] : [sql`o.owner_host_id`, sql`p.host_id`, role.hostId]
        // Any privilege makes a factory visible (spec §A0.5); its owner sees it too. Read from the
        // role's few permissions and factories (indexed by role), not by filtering every factory.
        conditions.push(sql`f.id in (select p.host_factory_id from host_factory_permissions p where p.account_id = ${accountId} and ${holder} = ${roleKey}
          union all select o.id from host_factories o where o.account_id = ${accountId} and ${owner} = ${roleKey})`)
      }
      return {
        key,
        rows: sql`select 'host_factory'::text as kind, f.id, f.created_at, u.name as owner_user_name, f.owner_host_id, null::text as owner_host_factory_id, '{}'::jsonb as annotations
          from host_factories f left join users u on u.id = f.owner_user_id where f.account_id = ${accountId}${where(key, none)}`
      }
    }
    case 'layer': {
      if (!viewer.admin) return undefined
      const key = sql`l.id`
      return {
        key,
        rows: sql`select 'layer'::text as kind, l.id, l.created_at, null::text as owner_user_name, null::text as owner_host_id, null::text as owner_host_factory_id, '{}'::jsonb as annotations
          from layers l where l.account_id = ${accountId}${where(key, none)}`
      }
    }
    case 'user': {
      if (!viewer.admin) return undefined
      const key = sql`u.name`
      // The account's users: at home there, or holding a role on it (as login finds them).
      return {
        key,
        rows: sql`select 'user'::text as kind, u.name as id, u.created_at, null::text as owner_user_name, null::text as owner_host_id, null::text as owner_host_factory_id, '{}'::jsonb as annotations
          from users u where u.id in (select id from users where account_id = ${accountId} union select user_id from role_assignments where account_id = ${accountId})${where(key, none)}`
      }
    }
  }
}

/** The viewer's resources in id order, the window's rows only (all of them without one). */
function listing (filter: ListFilter, window: Window | undefined): RawBuilder<ListedRow> | undefined {
  const branches = LISTED_KINDS.filter((kind) => filter.kinds.includes(kind)).flatMap((kind) => branch(kind, filter) ?? [])
  const page = window === undefined ? sql`` : sql` limit ${window.limit} offset ${window.offset}`
  if (branches.length === 0) return undefined
  if (branches.length === 1) {
    const [only] = branches
    return sql<ListedRow>`${only!.rows} order by ${only!.key} collate "C"${page}`
  }
  // Each kind gives at most the rows the window reaches, from its index, already in order.
  const reach = window === undefined ? sql`` : sql` limit ${window.limit + window.offset}`
  const parts = branches.map(({ rows, key }) => sql`(${rows} order by ${key} collate "C"${reach})`)
  return sql<ListedRow>`select * from (${sql.join(parts, sql` union all `)}) listed order by kind collate "C", id collate "C"${page}`
}

/** One page of what the viewer sees: one query. */
export async function listResources (db: Database, filter: ListFilter, window: Window | undefined): Promise<ListedRow[]> {
  const query = listing(filter, window)
  if (!query) return []
  return (await query.execute(db)).rows
}

/** How many rows that page would have (Conjur counts within `limit` and `offset` when given). */
export async function countResources (db: Database, filter: ListFilter, window: Window | undefined): Promise<number> {
  const query = listing(filter, window)
  if (!query) return 0
  const { rows } = await sql<{ count: string | number }>`select count(*) as count from (${query}) counted`.execute(db)
  return Number(rows[0]?.count ?? 0)
}
