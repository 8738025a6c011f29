import type { StoredCredentialType } from '../../services/credentials.js'
import type { UserCredentialRevocation } from '../../services/revoke-credentials.js'
import { revokeAllTokensOfUser, revokeUserToken } from './repository.js'

declare module '../../services/revoke-credentials.js' {
  interface RevokedInFamilies {
    astraTokens: number
  }
}

/** A user's API tokens. */
export const userTokenCredentials: StoredCredentialType = {
  name: 'astra-token',
  ofUser: 'held',
  end: (trx, _box, { accountId, owner, accessor }) => revokeUserToken(trx, accountId, owner.id, accessor)
}

export const revokeUserTokensOfUser: UserCredentialRevocation = async (trx, userId, dryRun) =>
  ({ astraTokens: await revokeAllTokensOfUser(trx, userId, dryRun) })
