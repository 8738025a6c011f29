import type { Insertable, Selectable } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { ArrayColumn } from '../array-insert.js'
import type { Database } from '../database.js'
import { keysetPage } from '../keyset.js'
import type { AuditEvents } from '../schema.js'

export type NewAuditEvent = Insertable<AuditEvents>
export type AuditEventRow = Selectable<AuditEvents>

/** Every column an audit row is written with (the rest are generated), for statements that write them from arrays. */
export const AUDIT_EVENT_COLUMNS: ReadonlyArray<ArrayColumn<NewAuditEvent>> = [
  { name: 'account_id', type: 'text' },
  { name: 'kind', type: 'text' },
  { name: 'actor_kind', type: 'text' },
  { name: 'actor_id', type: 'text' },
  { name: 'actor_name', type: 'text' },
  { name: 'actor_credential', type: 'text' },
  { name: 'object_type', type: 'text' },
  { name: 'object_id', type: 'text' },
  { name: 'reason', type: 'text' },
  { name: 'request_id', type: 'text' },
  { name: 'client_ip', type: 'text' },
  { name: 'details', type: 'jsonb' }
]

export async function insertAuditEvents (db: Database, events: readonly NewAuditEvent[]): Promise<void> {
  if (events.length > 0) await db.insertInto('audit_events').values([...events]).execute()
}

export interface AuditEventFilter {
  /** null: the events of no account (refusals of credentials naming none). */
  accountIds: ReadonlyArray<string | null>
  kind?: string | undefined
  requestId?: string | undefined
  /** A credential's events: about it, or by a request it authenticated. */
  accessor?: string | undefined
  since?: Date | undefined
  until?: Date | undefined
}

/** A keyset page of events by id (oldest first): one range scan of (account_id[, kind], id). */
export function listAuditEvents (db: Database, filter: AuditEventFilter, page: KeysetRequest): Promise<AuditEventRow[]> {
  const named = filter.accountIds.filter((id): id is string => id !== null)
  const orphans = filter.accountIds.includes(null)
  return db.selectFrom('audit_events')
    .selectAll()
    .where((eb) => eb.or([
      ...(named.length > 0 ? [eb('account_id', 'in', named)] : []),
      ...(orphans ? [eb('account_id', 'is', null)] : [])
    ]))
    .$if(filter.kind !== undefined, (query) => query.where('kind', '=', filter.kind!))
    .$if(filter.requestId !== undefined, (query) => query.where('request_id', '=', filter.requestId!))
    .$if(filter.accessor !== undefined, (query) => query.where((eb) => eb.or([eb('object_id', '=', filter.accessor!), eb('actor_credential', '=', filter.accessor!)])))
    .$if(filter.since !== undefined, (query) => query.where('occurred_at', '>=', filter.since!))
    .$if(filter.until !== undefined, (query) => query.where('occurred_at', '<', filter.until!))
    .$call(keysetPage('id', page))
    .execute()
}
