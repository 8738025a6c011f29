import { ACCESSOR_PREFIX, newAccessor } from '../core/accessors.js'
import { NotFound } from '../core/errors.js'
import { sha256, type SecretBox } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { deleteApiKey } from '../db/repositories/api-keys.js'
import { countLiveSessionsOfUser, revokeSessionsOfUser } from '../db/repositories/auth-sessions.js'
import { endAccessTokensOfUser, findUserById, updateUser } from '../db/repositories/users.js'
import { deleteAgentTokensMadeBy } from '../families/agent-tokens/repository.js'
import { revokeAllTokensOfUser } from '../families/astra/repository.js'
import { deleteTokensMadeBy, deleteTokensMadeByHost, findHost, revokeHostCredentials } from '../families/conjur/repository.js'
import { hostKeySealingContext, newConjurSecret } from '../families/conjur/secrets.js'
import { audited, type AuditContext } from './audit.js'
import { liveCredentialsOfUser } from './credentials.js'
import { userNotFound } from './lookups.js'

/**
 * The kill switch (issue 12, item 11; issue 21, item 4): every credential of one user or host,
 * across the four APIs, ended in one transaction with one audit event: what the user holds, and
 * the agent tokens and host factory tokens the user made (for others to use). Every replica
 * refuses them at once: a session is ended by its row's update (migration 0008 notifies each
 * replica's cache), Astra tokens, API keys and host factory tokens are read from the database on
 * each use, agent tokens' cached reads are dropped by migration 0012's notifications, and Conjur
 * access tokens (signed, never stored) are refused by callerOf, which reads the role's
 * access_tokens_not_before on each request. With `disableLogin`, the password goes too, so no
 * login (a Conjur one would mint a fresh API key) works until an administrator sets a new one.
 */
export interface RevokedUserCredentials {
  sessions: number
  apiKeyRevoked: boolean
  astraTokens: number
  /** Conjur access tokens cannot be counted (they are not stored): all those issued so far end. */
  conjurAccessTokens: 'all issued until now'
  /** Agent tokens the user made, in every tenant, deleted. */
  agentTokens: number
  /** Host factory tokens the user made, on every account, revoked. */
  hostFactoryTokens: number
  /** Whether the password was removed (disableLogin). */
  loginDisabled: boolean
  /** A dry run's list of what would end, by kind and accessor (the first MAX_LISTED_CREDENTIALS). */
  credentials?: Array<{ kind: string, accessor: string }>
}

export async function revokeUserCredentials (db: Database, context: AuditContext, target: { accountId: string, userId: string }, options: { dryRun: boolean, disableLogin?: boolean, now: Date }): Promise<RevokedUserCredentials> {
  const { accountId, userId } = target
  const { dryRun } = options
  const disableLogin = options.disableLogin === true
  const revoke = async (trx: Database): Promise<RevokedUserCredentials> => {
    if (!await findUserById(trx, userId)) throw userNotFound(userId)
    const sessions = dryRun ? await countLiveSessionsOfUser(trx, userId, options.now) : await revokeSessionsOfUser(trx, userId)
    const apiKeyRevoked = await deleteApiKey(trx, userId, dryRun)
    const astraTokens = await revokeAllTokensOfUser(trx, userId, dryRun)
    const agentTokens = await deleteAgentTokensMadeBy(trx, userId, dryRun)
    const hostFactoryTokens = await deleteTokensMadeBy(trx, userId, dryRun)
    if (!dryRun) await endAccessTokensOfUser(trx, userId)
    if (!dryRun && disableLogin) await updateUser(trx, userId, { password_hash: null })
    const revoked: RevokedUserCredentials = { sessions, apiKeyRevoked, astraTokens, conjurAccessTokens: 'all issued until now', agentTokens, hostFactoryTokens, loginDisabled: disableLogin }
    return dryRun ? { ...revoked, credentials: await liveCredentialsOfUser(trx, userId) } : revoked
  }
  if (dryRun) return revoke(db)
  return audited(db, context, revoke, (revoked) => ({ kind: 'credentials.revoked', accountId, object: { type: 'user', id: userId }, details: { ...revoked } }))
}

export interface RevokedHostCredentials {
  apiKeyRevoked: boolean
  conjurAccessTokens: 'all issued until now'
  /** Host factory tokens the host made (migration 0017), revoked. */
  hostFactoryTokens: number
}

/**
 * A Conjur host's API key and access tokens, and the host factory tokens it made; it gets a new
 * key only from its host factory again (or the admin API).
 */
export async function revokeHostCredentialsOf (db: Database, box: SecretBox, context: AuditContext, target: { accountId: string, hostId: string }, options: { dryRun: boolean }): Promise<RevokedHostCredentials> {
  const { accountId, hostId } = target
  const notFound = () => new NotFound(`account ${accountId} has no host ${hostId}`, { type: 'Host', key: hostId })
  if (options.dryRun) {
    if (!await findHost(db, accountId, hostId)) throw notFound()
    return { apiKeyRevoked: true, conjurAccessTokens: 'all issued until now', hostFactoryTokens: await deleteTokensMadeByHost(db, accountId, hostId, true) }
  }
  // A key nobody is shown: the sealed copy is of a value thrown away here.
  const unknown = newConjurSecret()
  const key = { hash: sha256(unknown), sealed: box.seal(unknown, hostKeySealingContext(accountId, hostId)), accessor: newAccessor(ACCESSOR_PREFIX.hostApiKey) }
  return audited(db, context, async (trx) => {
    if (!await revokeHostCredentials(trx, accountId, hostId, key)) throw notFound()
    return { apiKeyRevoked: true, conjurAccessTokens: 'all issued until now' as const, hostFactoryTokens: await deleteTokensMadeByHost(trx, accountId, hostId, false) }
  }, (revoked) => ({ kind: 'credentials.revoked', accountId, object: { type: 'host', id: hostId }, details: { ...revoked } }))
}
