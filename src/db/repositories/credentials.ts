import { sql, type Selectable } from 'kysely'
import type { Database } from '../database.js'
import type { Credentials } from '../schema.js'

/** The kinds of the `credentials` view (migration 0014), one per stored credential kind. */
import { CREDENTIAL_KINDS, UNTRACKED_USAGE_KINDS, type StoredCredentialKind } from '../../core/credential-kinds.js'
export { CREDENTIAL_KINDS, UNTRACKED_USAGE_KINDS, type StoredCredentialKind }

type ViewRow = Selectable<Credentials>

/** One credential as the admin API describes it: never its secret, nor anything derived from it. */
export interface CredentialRecord {
  kind: StoredCredentialKind
  accessor: string
  accountId: string
  /** Who holds it: a user, a host, a host factory, or (agent tokens) the tenant. */
  owner: { type: string, id: string }
  /** The user who made it, when one did through an API. */
  createdBy: string | null
  /** An agent token's label, an Astra token's name. */
  name: string | null
  createdAt: Date
  expiresAt: Date | null
  /** When it stopped working: revoked, or expired. */
  endedAt: Date | null
  lastUsedAt: Date | null
  useCount: number
}

const CREDENTIAL_COLUMNS = [
  'credentials.kind', 'credentials.accessor', 'credentials.account_id', 'credentials.owner_type', 'credentials.owner_id', 'credentials.created_by',
  'credentials.name', 'credentials.created_at', 'credentials.expires_at', 'credentials.ended_at',
  'credential_usage.last_used_at', 'credential_usage.use_count'
] as const

type CredentialRow = Pick<ViewRow, 'kind' | 'accessor' | 'account_id' | 'owner_type' | 'owner_id' | 'created_by' | 'name' | 'created_at' | 'expires_at' | 'ended_at'> &
{ last_used_at: Date | null, use_count: string | number | bigint | null }

export function toCredentialRecord (row: CredentialRow): CredentialRecord {
  return {
    kind: row.kind as StoredCredentialKind,
    accessor: row.accessor!,
    accountId: row.account_id!,
    owner: { type: row.owner_type!, id: row.owner_id! },
    createdBy: row.created_by,
    name: row.name,
    createdAt: row.created_at!,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    lastUsedAt: row.last_used_at,
    useCount: row.use_count === null ? 0 : Number(row.use_count)
  }
}

/** Every credential, with its usage figures (none for one never used). */
export function selectCredentials (db: Database) {
  return db.selectFrom('credentials')
    .leftJoin('credential_usage', 'credential_usage.accessor', 'credentials.accessor')
    .select(CREDENTIAL_COLUMNS)
}

/** The credential with this accessor in this account, or undefined. One indexed read per kind. */
export async function findCredential (db: Database, accountId: string, accessor: string): Promise<CredentialRecord | undefined> {
  const row = await selectCredentials(db)
    .where('credentials.accessor', '=', accessor)
    .where('credentials.account_id', '=', accountId)
    .executeTakeFirst()
  return row === undefined ? undefined : toCredentialRecord(row)
}

/** One replica's uses since its last flush: accessor, how many, and the last. */
export interface UsageBatch {
  accessors: string[]
  counts: number[]
  lastUsedAt: Date[]
}

/**
 * Adds a batch of uses in one statement. Replicas add to the same rows, so each locks them in
 * accessor order (the batch comes sorted): two flushes that overlap wait for each other, never
 * deadlock.
 */
export async function addCredentialUsage (db: Database, batch: UsageBatch): Promise<void> {
  if (batch.accessors.length === 0) return
  await sql`
    insert into credential_usage (accessor, use_count, last_used_at)
    select accessor, count, last_used_at
    from unnest(${batch.accessors}::text[], ${batch.counts}::bigint[], ${batch.lastUsedAt.map((at) => at.toISOString())}::timestamptz[]) as used(accessor, count, last_used_at)
    order by accessor
    on conflict (accessor) do update set
      use_count = credential_usage.use_count + excluded.use_count,
      last_used_at = greatest(credential_usage.last_used_at, excluded.last_used_at)`.execute(db)
}
