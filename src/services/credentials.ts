import { ACCESSOR_PREFIX, newAccessor } from '../core/accessors.js'
import { NotFound } from '../core/errors.js'
import { sha256, type SecretBox } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { deleteApiKeyByAccessor } from '../db/repositories/api-keys.js'
import { revokeAuthSession } from '../db/repositories/auth-sessions.js'
import { findCredential, selectCredentials, toCredentialRecord, type CredentialRecord, type StoredCredentialKind } from '../db/repositories/credentials.js'
import { deleteAgentTokenByAccessor } from '../families/agent-tokens/repository.js'
import { revokeUserToken } from '../families/astra/repository.js'
import { deleteTokenByAccessor, revokeHostCredentials } from '../families/conjur/repository.js'
import { hostKeySealingContext, newConjurSecret } from '../families/conjur/secrets.js'
import { audited, type AuditContext } from './audit.js'

/** Credentials by accessor (issue 21, item 1): look one up, show it, end it. */

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
async function endCredential (trx: Database, box: SecretBox, credential: CredentialRecord): Promise<boolean> {
  const { accountId, accessor, owner } = credential
  const ends: Record<StoredCredentialKind, () => Promise<boolean>> = {
    session: () => revokeAuthSession(trx, accessor),
    'api-key': () => deleteApiKeyByAccessor(trx, accessor),
    'agent-token': () => deleteAgentTokenByAccessor(trx, accountId, accessor),
    'astra-token': () => revokeUserToken(trx, accountId, owner.id, accessor),
    'host-factory-token': () => deleteTokenByAccessor(trx, accountId, accessor),
    // A host's key is replaced by one nobody is shown; its access tokens end with it.
    'host-api-key': () => {
      const unknown = newConjurSecret()
      return revokeHostCredentials(trx, accountId, owner.id, {
        hash: sha256(unknown),
        sealed: box.seal(unknown, hostKeySealingContext(accountId, owner.id)),
        accessor: newAccessor(ACCESSOR_PREFIX.hostApiKey)
      })
    }
  }
  return ends[credential.kind]()
}

/**
 * Ends the credential with this accessor, at once on every replica (as the kill switch does:
 * each kind's change reaches the replicas' caches through the database's notifications), with
 * one audit event. An ended one stays ended: nothing changes, nothing is recorded. Returns the
 * credential as it was found.
 */
export async function revokeCredential (db: Database, box: SecretBox, context: AuditContext, accountId: string, accessor: string): Promise<CredentialRecord> {
  return audited(db, context, async (trx) => {
    const credential = await existingCredential(trx, accountId, accessor)
    const ended = credential.endedAt === null && await endCredential(trx, box, credential)
    return { credential, ended }
  }, ({ credential, ended }) => ended
    ? { kind: 'credential.revoked', accountId, object: { type: credential.kind, id: accessor }, details: { owner: credential.owner } }
    : undefined).then(({ credential }) => credential)
}

/** The most credentials a dry run of the kill switch names one by one; the counts cover the rest. */
export const MAX_LISTED_CREDENTIALS = 1000

/**
 * The live credentials a user's kill switch would end: what they hold (sessions, their API key,
 * their Astra tokens) and what they made for others (agent tokens, host factory tokens).
 */
export async function liveCredentialsOfUser (db: Database, userId: string): Promise<Array<{ kind: StoredCredentialKind, accessor: string }>> {
  const rows = await selectCredentials(db)
    .where('credentials.ended_at', 'is', null)
    .where((eb) => eb.or([
      eb.and([eb('credentials.owner_type', '=', 'user'), eb('credentials.owner_id', '=', userId), eb('credentials.kind', 'in', ['session', 'api-key', 'astra-token'])]),
      eb.and([eb('credentials.created_by', '=', userId), eb('credentials.kind', 'in', ['agent-token', 'host-factory-token'])])
    ]))
    .orderBy('credentials.kind').orderBy('credentials.accessor')
    .limit(MAX_LISTED_CREDENTIALS)
    .execute()
  return rows.map(toCredentialRecord).map(({ kind, accessor }) => ({ kind, accessor }))
}
