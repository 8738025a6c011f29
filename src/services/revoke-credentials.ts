import type { Database } from '../db/database.js'
import { deleteApiKey } from '../db/repositories/api-keys.js'
import { countLiveSessionsOfUser, revokeSessionsOfUser } from '../db/repositories/auth-sessions.js'
import { findUserById, updateUser } from '../db/repositories/users.js'
import { audited, type AuditContext } from './audit.js'
import { liveCredentialsOfUser, type FamilyCredentialServices } from './credentials.js'
import { userNotFound } from './lookups.js'

/**
 * The families' fields of the kill switch's reply. Each family adds its own to this interface
 * (`declare module`, next to its UserCredentialRevocation): the reply's type is then whole.
 */
export interface RevokedInFamilies {}

/**
 * Ends, or in a dry run counts, what the user holds or made in one family, in the kill switch's
 * transaction: the family's fields of the reply.
 */
export type UserCredentialRevocation = (trx: Database, userId: string, dryRun: boolean) => Promise<Partial<RevokedInFamilies>>

/**
 * The kill switch (issue 12, item 11; issue 21, item 4): every credential of one user, across
 * the APIs, ended in one transaction with one audit event: what the user holds, and the tokens
 * the user made for others to use. Every replica refuses them at once: a session is ended by its
 * row's update (migration 0008 notifies each replica's cache), API keys are read from the
 * database on each use, and each family ends its own credentials so that the same holds (its
 * revokeUserCredentials). With `disableLogin`, the password goes too, so no login (one that
 * would mint a fresh API key included) works until an administrator sets a new one.
 */
export type RevokedUserCredentials = {
  sessions: number
  apiKeyRevoked: boolean
  /** Whether the password was removed (disableLogin). */
  loginDisabled: boolean
  /** A dry run's list of what would end, by kind and accessor (the first MAX_LISTED_CREDENTIALS). */
  credentials?: Array<{ kind: string, accessor: string }>
} & RevokedInFamilies

/** What a family adds to the kill switch (TokenFamily carries it). */
export interface FamilyUserRevocation {
  revokeUserCredentials?: UserCredentialRevocation
}

export async function revokeUserCredentials (db: Database, families: ReadonlyArray<FamilyCredentialServices & FamilyUserRevocation>, context: AuditContext, target: { accountId: string, userId: string }, options: { dryRun: boolean, disableLogin?: boolean, now: Date }): Promise<RevokedUserCredentials> {
  const { accountId, userId } = target
  const { dryRun } = options
  const disableLogin = options.disableLogin === true
  const revoke = async (trx: Database): Promise<RevokedUserCredentials> => {
    if (!await findUserById(trx, userId)) throw userNotFound(userId)
    const sessions = dryRun ? await countLiveSessionsOfUser(trx, userId, options.now) : await revokeSessionsOfUser(trx, userId)
    const apiKeyRevoked = await deleteApiKey(trx, userId, dryRun)
    let inFamilies: Partial<RevokedInFamilies> = {}
    for (const family of families) {
      if (family.revokeUserCredentials) inFamilies = { ...inFamilies, ...await family.revokeUserCredentials(trx, userId, dryRun) }
    }
    if (!dryRun && disableLogin) await updateUser(trx, userId, { password_hash: null })
    // Whole: every family declared its fields, and filled them.
    const revoked = { sessions, apiKeyRevoked, ...inFamilies as RevokedInFamilies, loginDisabled: disableLogin }
    return dryRun ? { ...revoked, credentials: await liveCredentialsOfUser(trx, families, userId) } : revoked
  }
  if (dryRun) return revoke(db)
  return audited(db, context, revoke, (revoked) => ({ kind: 'credentials.revoked', accountId, object: { type: 'user', id: userId }, details: { ...revoked } }))
}
