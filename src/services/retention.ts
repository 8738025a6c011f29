import type { Config } from '../config.js'
import { PURGE_BATCH_SIZE, purgeInBatches, type Stopping } from '../db/batched-purge.js'
import type { Database } from '../db/database.js'
import { insertAuditEvents } from '../db/repositories/audit-events.js'
import {
  countAuditEventsBefore, countEndedCredentials, countOrphanCredentialUsage, purgeAuditEvents, purgeEndedCredentials, sweepCredentialUsage, type CredentialAccessors, type EndedCredentials
} from '../db/repositories/retention.js'
import { auditRow, logAuditEvent, type AuditContext } from './audit.js'
import { retained, type RetainingFamilies } from './retained-credentials.js'

export type RetentionPolicy = Config['retention']

/** What a purge removed, or a dry run says it would, table by table: each kind of ended credential by its `count`. */
export interface RetentionCounts {
  auditEvents: number
  sessions: number
  credentialUsage: number
  [endedCredentials: string]: number
}

export interface RetentionCutoffs {
  /** Events that occurred before it go; null: they are kept for ever (AUDIT_RETENTION_DAYS=0). */
  auditEvents: Date | null
  /** Credentials that ended before it go: now itself when ENDED_CREDENTIAL_RETENTION_DAYS=0. */
  endedCredentials: Date
}

const DAY_MS = 86_400_000

/** The cutoffs at `now`. The audit one is at least a day in the past: a purge never deletes the event it writes. */
export function retentionCutoffs (policy: RetentionPolicy, now: Date): RetentionCutoffs {
  return {
    auditEvents: policy.auditDays === 0 ? null : new Date(now.getTime() - policy.auditDays * DAY_MS),
    endedCredentials: new Date(now.getTime() - policy.endedCredentialDays * DAY_MS)
  }
}

export interface PurgeOptions {
  now: Date
  /** Rows each statement deletes at most. */
  batchSize?: number
  /** Asked between batches: the app is closing. What was purged until then is still recorded. */
  stopping?: Stopping
  /**
   * The walk through the use counts, for those of credentials deleted directly: where it starts
   * (after this accessor; '' from the first) and how many batches it takes at most (all by
   * default). The server takes a few a run and resumes where the last run stopped.
   */
  usageSweep?: { after: string, batches: number }
}

export interface RetentionRun {
  cutoffs: RetentionCutoffs
  purged: RetentionCounts
  /** Where the next walk through the use counts resumes: '' once this one reached the end. */
  usageSweepAfter: string
}

const noCounts = (ended: readonly EndedCredentials[]): RetentionCounts =>
  ({ auditEvents: 0, sessions: 0, ...Object.fromEntries(ended.map(({ count }) => [count, 0])), credentialUsage: 0 })

/**
 * Deletes, in batches of short statements, the credentials that ended before the credential
 * cutoff (with their use counts), the use counts of credentials that are gone, and the audit
 * events older than the audit cutoff. When it removed anything, records one `retention.purged`
 * event with the counts and the cutoffs, even when a batch failed (then rethrows) or it was told
 * to stop. Replicas may run it at once: each batch skips the rows another one holds.
 */
export async function purgeRetained (db: Database, families: RetainingFamilies, context: AuditContext, policy: RetentionPolicy, options: PurgeOptions): Promise<RetentionRun> {
  const { ended, accessors } = retained(families)
  const cutoffs = retentionCutoffs(policy, options.now)
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE
  const stopping = options.stopping ?? (() => false)
  const purged = noCounts(ended)
  let usageSweepAfter = options.usageSweep?.after ?? ''
  let failure: unknown
  try {
    for (const kind of ended) {
      await purgeInBatches(async (size) => {
        const deleted = await purgeEndedCredentials(db, kind, cutoffs.endedCredentials, size)
        purged[kind.count]! += deleted.credentials
        purged.credentialUsage += deleted.usage
        return deleted.credentials
      }, batchSize, stopping)
    }
    usageSweepAfter = await sweepUsage(db, accessors, usageSweepAfter, options.usageSweep?.batches ?? Infinity, batchSize, stopping, purged)
    const auditCutoff = cutoffs.auditEvents
    if (auditCutoff !== null) {
      await purgeInBatches(async (size) => {
        const deleted = await purgeAuditEvents(db, auditCutoff, size)
        purged.auditEvents += deleted
        return deleted
      }, batchSize, stopping)
    }
  } catch (error) {
    failure = error
  }
  if (Object.values(purged).some((count) => count > 0)) await recordPurge(db, context, cutoffs, purged)
  if (failure !== undefined) throw failure
  return { cutoffs, purged, usageSweepAfter }
}

/** Walks at most `maxBatches` batches of use counts from `after`; returns where the next walk resumes. */
async function sweepUsage (db: Database, accessors: readonly CredentialAccessors[], after: string, maxBatches: number, batchSize: number, stopping: Stopping, purged: RetentionCounts): Promise<string> {
  let from = after
  for (let batch = 0; batch < maxBatches && !stopping(); batch++) {
    const step = await sweepCredentialUsage(db, accessors, from, batchSize)
    purged.credentialUsage += step.deleted
    if (step.scanned < batchSize || step.last === null) return ''
    from = step.last
  }
  return from
}

async function recordPurge (db: Database, context: AuditContext, cutoffs: RetentionCutoffs, purged: RetentionCounts): Promise<void> {
  // The purge belongs to no account: the admin API lists it to super-admins, with refusals naming none.
  const row = auditRow(context, {
    kind: 'retention.purged',
    accountId: null,
    details: { purged, cutoffs: { auditEvents: cutoffs.auditEvents?.toISOString() ?? null, endedCredentials: cutoffs.endedCredentials.toISOString() } }
  })
  await insertAuditEvents(db, [row])
  logAuditEvent(context.log, row)
}

/** What purgeRetained would remove at `now`, changing nothing. */
export async function countPurgeable (db: Database, families: RetainingFamilies, policy: RetentionPolicy, now: Date): Promise<{ cutoffs: RetentionCutoffs, purged: RetentionCounts }> {
  const { ended, accessors } = retained(families)
  const cutoffs = retentionCutoffs(policy, now)
  const purged = noCounts(ended)
  for (const kind of ended) {
    const counts = await countEndedCredentials(db, kind, cutoffs.endedCredentials)
    purged[kind.count] = counts.credentials
    purged.credentialUsage += counts.usage
  }
  purged.credentialUsage += await countOrphanCredentialUsage(db, accessors)
  if (cutoffs.auditEvents !== null) purged.auditEvents = await countAuditEventsBefore(db, cutoffs.auditEvents)
  return { cutoffs, purged }
}

/** An operator's purge (CLI, admin API): now, all of it, or a dry run's counts; the cutoffs as ISO 8601. */
export async function purgeOnRequest (db: Database, families: RetainingFamilies, context: AuditContext, policy: RetentionPolicy, dryRun: boolean, now: Date) {
  const { cutoffs, purged } = dryRun ? await countPurgeable(db, families, policy, now) : await purgeRetained(db, families, context, policy, { now })
  return { dryRun, cutoffs: { auditEvents: cutoffs.auditEvents?.toISOString() ?? null, endedCredentials: cutoffs.endedCredentials.toISOString() }, purged }
}
