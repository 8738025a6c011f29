import { newAccessor } from '../../core/accessors.js'
import { NotFound } from '../../core/errors.js'
import { sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { audited, type AuditContext } from '../../services/audit.js'
import type { StoredCredentialType } from '../../services/credentials.js'
import type { UserCredentialRevocation } from '../../services/revoke-credentials.js'
import { HOST_API_KEY_PREFIX } from './accessors.js'
import { ALL_ACCESS_TOKENS } from './kill-switch.js'
import { deleteTokenByAccessor, deleteTokensMadeBy, deleteTokensMadeByHost, endAccessTokensOfUser, findHost, revokeHostCredentials } from './repository.js'
import { hostKeySealingContext, newConjurSecret } from './secrets.js'

declare module '../../services/revoke-credentials.js' {
  interface RevokedInFamilies {
    /** Conjur access tokens cannot be counted (they are not stored): all those issued so far end. */
    conjurAccessTokens: typeof ALL_ACCESS_TOKENS
    /** Host factory tokens the user made, on every account, revoked. */
    hostFactoryTokens: number
  }
}

/** A key nobody is shown, for a host whose key is revoked: the sealed copy is of a value thrown away here. */
function unknownHostKey (box: SecretBox, accountId: string, hostId: string) {
  const unknown = newConjurSecret()
  return { hash: sha256(unknown), sealed: box.seal(unknown, hostKeySealingContext(accountId, hostId)), accessor: newAccessor(HOST_API_KEY_PREFIX) }
}

/** Host factory tokens, made by a user (or a host) for machines to enrol with. */
export const hostFactoryTokenCredentials: StoredCredentialType = {
  name: 'host-factory-token',
  ofUser: 'made',
  end: (trx, _box, { accountId, accessor }) => deleteTokenByAccessor(trx, accountId, accessor)
}

/** A host's API key: replaced by one nobody is shown; its access tokens end with it. No user holds it. */
export const hostApiKeyCredentials: StoredCredentialType = {
  name: 'host-api-key',
  end: (trx, box, { accountId, owner }) => revokeHostCredentials(trx, accountId, owner.id, unknownHostKey(box, accountId, owner.id))
}

/**
 * A user's access tokens (refused by callerOf, which reads the role's access_tokens_not_before
 * on each request) and the host factory tokens the user made.
 */
export const revokeConjurCredentialsOfUser: UserCredentialRevocation = async (trx, userId, dryRun) => {
  const hostFactoryTokens = await deleteTokensMadeBy(trx, userId, dryRun)
  if (!dryRun) await endAccessTokensOfUser(trx, userId)
  return { conjurAccessTokens: ALL_ACCESS_TOKENS, hostFactoryTokens }
}

export interface RevokedHostCredentials {
  apiKeyRevoked: boolean
  conjurAccessTokens: typeof ALL_ACCESS_TOKENS
  /** Host factory tokens the host made (migration 0017), revoked. */
  hostFactoryTokens: number
}

/**
 * A host's kill switch: its API key and access tokens, and the host factory tokens it made; it
 * gets a new key only from its host factory again (or the admin API).
 */
export async function revokeHostCredentialsOf (db: Database, box: SecretBox, context: AuditContext, target: { accountId: string, hostId: string }, options: { dryRun: boolean }): Promise<RevokedHostCredentials> {
  const { accountId, hostId } = target
  const notFound = () => new NotFound(`account ${accountId} has no host ${hostId}`, { type: 'Host', key: hostId })
  if (options.dryRun) {
    if (!await findHost(db, accountId, hostId)) throw notFound()
    return { apiKeyRevoked: true, conjurAccessTokens: ALL_ACCESS_TOKENS, hostFactoryTokens: await deleteTokensMadeByHost(db, accountId, hostId, true) }
  }
  const key = unknownHostKey(box, accountId, hostId)
  return audited(db, context, async (trx) => {
    if (!await revokeHostCredentials(trx, accountId, hostId, key)) throw notFound()
    return { apiKeyRevoked: true, conjurAccessTokens: ALL_ACCESS_TOKENS, hostFactoryTokens: await deleteTokensMadeByHost(trx, accountId, hostId, false) }
  }, (revoked) => ({ kind: 'credentials.revoked', accountId, object: { type: 'host', id: hostId }, details: { ...revoked } }))
}
