import type { StoredCredentialKind } from '../db/repositories/credentials.js'
import type { ReportItem } from '../services/credential-report.js'
import type { RetentionCounts } from '../services/retention.js'
import type { RevokedUserCredentials } from '../services/revoke-credentials.js'
import type { ImportSummary, LineFailure } from '../services/transfer/import.js'
import type { ExportCounts } from '../services/transfer/run.js'
import type { AccountView, AuditEventView } from '../services/views.js'
import type { TextSink } from './command.js'
import type { FamilyCommands } from './family-cli.js'

/**
 * What the commands do, once: each command parses its line, calls one operation and prints its
 * result. Two implementations: on the database (local-operations.ts) and through the admin API
 * of a running server (remote-operations.ts). Results are the --json shapes, the admin API's.
 */

export interface UserView { id: string, name: string, accountId: string, email: string | null, enabled: boolean, createdAt: string }
export interface CreatedUserView extends UserView { roles: string[], apiKey: string, apiKeyAccessor: string }
/** A user with their roles on every account, by account id. */
export interface ListedUserView extends UserView { roles: Record<string, string[]> }
export type { AccountView, AuditEventView, ReportItem }

/** A page of a list: `next` tells whether more follow (after the last item's key). */
export interface ListPage<T> { items: T[], next: boolean }
export interface PageRequest { after: string | undefined, limit: number }

export interface AuditFilters {
  kind: string | undefined
  requestId: string | undefined
  since: string | undefined
  until: string | undefined
}

export interface ReportFilters {
  kind?: StoredCredentialKind | undefined
  neverUsed: boolean
  unusedDays?: number | undefined
  expiringDays?: number | undefined
  ownerDisabled: boolean
  includeEnded: boolean
}

export interface RetentionView {
  dryRun: boolean
  cutoffs: { auditEvents: string | null, endedCredentials: string }
  purged: RetentionCounts
}

export interface ImportRequest {
  lines: AsyncIterable<Buffer | string>
  dryRun: boolean
  allowAdminAccount: boolean
  onFailure: (failure: LineFailure) => void
  /** Lines and bytes read so far, for the progress line. */
  onProgress: (lines: number, bytes: number) => void
}

export interface Operations {
  /** Where the commands act, for messages: the database, or the server's URL. */
  readonly target: string
  findAccount (idOrName: string): Promise<AccountView>
  findUser (idOrName: string): Promise<UserView>

  createAccount (input: { id: string | undefined, name: string, enabled: boolean }): Promise<AccountView>
  listAccounts (page: PageRequest): Promise<ListPage<AccountView>>
  setAccountEnabled (account: AccountView, enabled: boolean): Promise<AccountView>

  createUser (account: AccountView, input: { name: string, email: string | undefined, roles: string[], password: string | undefined, enabled: boolean }): Promise<CreatedUserView>
  listUsers (accountId: string | undefined, page: PageRequest): Promise<ListPage<ListedUserView>>
  changeUser (user: UserView, change: { enabled: boolean } | { password: string }): Promise<UserView>
  rotateApiKey (user: UserView): Promise<{ apiKey: string, accessor: string }>
  revokeUserCredentials (user: UserView, options: { dryRun: boolean, disableLogin: boolean }): Promise<RevokedUserCredentials>

  grantRole (user: UserView, account: AccountView, role: string): Promise<void>
  /** False when the user did not hold the role. */
  revokeRole (user: UserView, account: AccountView, role: string): Promise<boolean>

  /** `account` null: the refusals that name no account. */
  listAuditEvents (account: AccountView | null, filters: AuditFilters, page: PageRequest): Promise<ListPage<AuditEventView>>
  reportCredentials (account: AccountView, user: UserView | undefined, filters: ReportFilters, page: PageRequest): Promise<ListPage<ReportItem>>

  purgeRetained (dryRun: boolean): Promise<RetentionView>
  /** Writes the export's lines to `sink`; returns how many lines of each type. */
  exportTo (sink: TextSink): Promise<ExportCounts>
  importFrom (request: ImportRequest): Promise<ImportSummary>
  /** A family's own operations, in the same place as these (the database, or the server). */
  ofFamily<Ops> (cli: FamilyCommands<Ops>): Promise<Ops>
}
