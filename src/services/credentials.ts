import { NotFound } from '../core/errors.js'
import type { SecretBox } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { deleteApiKeyByAccessor } from '../db/repositories/api-keys.js'
import { revokeAuthSession } from '../db/repositories/auth-sessions.js'
import { findCredential, selectCredentials, toCredentialRecord, type CredentialRecord, type StoredCredentialKind } from '../db/repositories/credentials.js'
import { audited, type AuditContext } from './audit.js'

/** Credentials by accessor (issue 21, item 1): look one up, show it, end it. */

/** A kind of stored credential a family keeps: a row of the credentials view (migration 0014). */
export interface StoredCredentialType {
  name: StoredCredentialKind
  /**
   * Whether a user's kill switch ends it, and why: the user holds it, or made it for others to
   * use. Neither for credentials no user holds or made (a machine's own key).
   */
  ofUser?: 'held' | 'made'
  /** Ends one live credential of this kind; whether it was live. */
  end (trx: Database, box: SecretBox, credential: CredentialRecord): Promise<boolean>
}

/** What a family adds to the credential services (TokenFamily carries it). */
export interface FamilyCredentialServices {
  /** The kinds of stored credential the family keeps. */
  storedCredentials?: readonly StoredCredentialType[]
}

/** The identity core's own stored credentials, which its users hold. */
const CORE_STORED_CREDENTIALS: readonly StoredCredentialType[] = [
  { name: 'session', ofUser: 'held', end: (trx, _box, { accessor }) => revokeAuthSession(trx, accessor) },
  { name: 'api-key', ofUser: 'held', end: (trx, _box, { accessor }) => deleteApiKeyByAccessor(trx, accessor) }
]

function storedCredentialTypes (families: readonly FamilyCredentialServices[]): StoredCredentialType[] {
  return [...CORE_STORED_CREDENTIALS, ...families.flatMap((family) => family.storedCredentials ?? [])]
}

/** The kinds of stored credential: the identity core's and the families'. */
export function storedCredentialKinds (families: readonly FamilyCredentialServices[]): StoredCredentialKind[] {
  return storedCredentialTypes(families).map(({ name }) => name)
}

/** A credential as the admin API and the CLI show it: instants as ISO 8601 text, never a secret. */
export type CredentialView = Omit<CredentialRecord, 'createdAt' | 'expiresAt' | 'endedAt' | 'lastUsedAt'> & {
  createdAt: string
  expiresAt: string | null
  endedAt: string | null
  lastUsedAt: string | null
}

export function credentialView (record: CredentialRecord): CredentialView {
  const iso = (date: Date | null) => date === null ? null : date.toISOString()
  // Field by field: a record may carry more (the report's ownerDisabled), which is not shown.
  return {
    kind: record.kind,
    accessor: record.accessor,
    accountId: record.accountId,
    owner: { ...record.owner },
    createdBy: record.createdBy,
    name: record.name,
    useCount: record.useCount,
    createdAt: record.createdAt.toISOString(),
    expiresAt: iso(record.expiresAt),
    endedAt: iso(record.endedAt),
    lastUsedAt: iso(record.lastUsedAt)
  }
}

export function credentialNotFound (accessor: string): NotFound {
  return new NotFound(`no credential ${accessor} in this account`, { type: 'Credential', key: accessor })
}

export async function existingCredential (db: Database, accountId: string, accessor: string): Promise<CredentialRecord> {
  return await findCredential(db, accountId, accessor) ?? Promise.reject(credentialNotFound(accessor))
}

/** Ends one live credential of its kind; whether it was live. */
async function endCredential (trx: Database, box: SecretBox, families: readonly FamilyCredentialServices[], credential: CredentialRecord): Promise<boolean> {
  const type = storedCredentialTypes(families).find(({ name }) => name === credential.kind)
  if (type === undefined) throw new Error(`no family keeps credentials of kind ${credential.kind}`)
  return type.end(trx, box, credential)
}

/**
 * Ends the credential with this accessor, at once on every replica (as the kill switch does:
 * each kind's change reaches the replicas' caches through the database's notifications), with
 * one audit event. An ended one stays ended: nothing changes, nothing is recorded. Returns the
 * credential as it was found.
 */
export async function revokeCredential (db: Database, box: SecretBox, families: readonly FamilyCredentialServices[], context: AuditContext, accountId: string, accessor: string): Promise<CredentialRecord> {
  return audited(db, context, async (trx) => {
    const credential = await existingCredential(trx, accountId, accessor)
    const ended = credential.endedAt === null && await endCredential(trx, box, families, credential)
    return { credential, ended }
  }, ({ credential, ended }) => ended
    ? { kind: 'credential.revoked', accountId, object: { type: credential.kind, id: accessor }, details: { owner: credential.owner } }
    : undefined).then(({ credential }) => credential)
}

/** The kinds of stored credential a user's kill switch ends: those the user holds, and those the user made. */
export function killSwitchKinds (families: readonly FamilyCredentialServices[]): { held: StoredCredentialKind[], made: StoredCredentialKind[] } {
  const kinds = (ofUser: StoredCredentialType['ofUser']) => storedCredentialTypes(families).filter((type) => type.ofUser === ofUser).map(({ name }) => name)
  return { held: kinds('held'), made: kinds('made') }
}

/** The most credentials a dry run of the kill switch names one by one; the counts cover the rest. */
export const MAX_LISTED_CREDENTIALS = 1000

/**
 * The live credentials a user's kill switch would end: what they hold (sessions, their API key,
 * tokens of their own) and what they made for others to use.
 */
export async function liveCredentialsOfUser (db: Database, families: readonly FamilyCredentialServices[], userId: string): Promise<Array<{ kind: StoredCredentialKind, accessor: string }>> {
  const { held, made } = killSwitchKinds(families)
  const rows = await selectCredentials(db)
    .where('credentials.ended_at', 'is', null)
    .where((eb) => eb.or([
      eb.and([eb('credentials.owner_type', '=', 'user'), eb('credentials.owner_id', '=', userId), eb('credentials.kind', 'in', held)]),
      ...made.length === 0 ? [] : [eb.and([eb('credentials.created_by', '=', userId), eb('credentials.kind', 'in', made)])]
    ]))
    .orderBy('credentials.kind').orderBy('credentials.accessor')
    .limit(MAX_LISTED_CREDENTIALS)
    .execute()
  return rows.map(toCredentialRecord).map(({ kind, accessor }) => ({ kind, accessor }))
}
