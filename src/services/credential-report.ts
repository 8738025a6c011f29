import { toCsv } from '../core/csv.js'
import { toKeysetPage, type KeysetPage, type KeysetRequest } from '../core/pagination.js'
import type { Database } from '../db/database.js'
import { listReportedCredentials, type ReportedCredentialRecord } from '../db/repositories/credential-report.js'
import { UNTRACKED_USAGE_KINDS, type StoredCredentialKind } from '../db/repositories/credentials.js'
import { credentialView, type CredentialView } from './credentials.js'

/**
 * The hygiene report: an account's (or one user's) credentials with what is wrong with them.
 * Shared by the admin API and the CLI, so both filter, judge and show a credential alike.
 */

/** The largest `unusedDays`/`expiringDays`: a century. */
export const REPORT_DAYS_MAX = 36500
/** What `unused` and `expiring` mean when the query gives no number of days. */
export const DEFAULT_UNUSED_DAYS = 90
export const DEFAULT_EXPIRING_DAYS = 30

export const FINDINGS = ['never-used', 'unused', 'expiring', 'owner-disabled'] as const
export type Finding = typeof FINDINGS[number]

export interface CredentialReportQuery {
  accountId: string
  /** Only this user's credentials: those they hold and those they made. */
  userId?: string | undefined
  kind?: StoredCredentialKind | undefined
  neverUsed?: boolean | undefined
  /** Only those not used for this many days (never used ones: made before then). */
  unusedDays?: number | undefined
  /** Only live ones that expire within this many days. */
  expiringDays?: number | undefined
  ownerDisabled?: boolean | undefined
  includeEnded?: boolean | undefined
}

/** One credential of the report, as the API and the CLI show it: never its secret. */
export interface ReportItem extends CredentialView {
  findings: Finding[]
}

const DAY_MS = 24 * 60 * 60 * 1000

const daysFrom = (now: Date, days: number) => new Date(now.getTime() + days * DAY_MS)

function findingsOf (record: ReportedCredentialRecord, now: Date, unusedSince: Date, expiringBy: Date): Finding[] {
  const findings: Finding[] = []
  if (!UNTRACKED_USAGE_KINDS.includes(record.kind)) {
    if (record.lastUsedAt === null) findings.push('never-used')
    if ((record.lastUsedAt ?? record.createdAt) < unusedSince) findings.push('unused')
  }
  if (record.endedAt === null && record.expiresAt !== null && record.expiresAt > now && record.expiresAt <= expiringBy) findings.push('expiring')
  if (record.ownerDisabled) findings.push('owner-disabled')
  return findings
}

function toReportItem (record: ReportedCredentialRecord, findings: Finding[]): ReportItem {
  return { ...credentialView(record), findings }
}

/**
 * One keyset page of the report, by accessor. `unused` and `expiring` are judged against the
 * query's days, or 90 and 30 days when it gives none; `now` is the app's clock.
 */
export async function reportCredentials (db: Database, query: CredentialReportQuery, page: KeysetRequest, now: Date): Promise<KeysetPage<ReportItem>> {
  const unusedSince = daysFrom(now, -(query.unusedDays ?? DEFAULT_UNUSED_DAYS))
  const expiringBy = daysFrom(now, query.expiringDays ?? DEFAULT_EXPIRING_DAYS)
  const records = await listReportedCredentials(db, {
    accountId: query.accountId,
    userId: query.userId,
    kind: query.kind,
    neverUsed: query.neverUsed,
    unusedSince: query.unusedDays === undefined ? undefined : unusedSince,
    expiringBy: query.expiringDays === undefined ? undefined : expiringBy,
    ownerDisabled: query.ownerDisabled,
    includeEnded: query.includeEnded,
    now
  }, page)
  const { items, next } = toKeysetPage(records, page)
  const toItem = (record: ReportedCredentialRecord) => toReportItem(record, findingsOf(record, now, unusedSince, expiringBy))
  return { items: items.map(toItem), next: next === undefined ? undefined : toItem(next) }
}

const CSV_HEADER = ['kind', 'accessor', 'accountId', 'ownerType', 'ownerId', 'createdBy', 'name', 'createdAt', 'expiresAt', 'endedAt', 'lastUsedAt', 'useCount', 'findings']

/** A page of the report as CSV: a header, then a record per credential, findings separated by spaces. */
export function reportCsv (items: readonly ReportItem[]): string {
  return toCsv(CSV_HEADER, items.map((item) => [
    item.kind, item.accessor, item.accountId, item.owner.type, item.owner.id, item.createdBy, item.name,
    item.createdAt, item.expiresAt, item.endedAt, item.lastUsedAt, item.useCount, item.findings.join(' ')
  ]))
}
