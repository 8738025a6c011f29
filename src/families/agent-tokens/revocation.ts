import type { StoredCredentialType } from '../../services/credentials.js'
import type { UserCredentialRevocation } from '../../services/revoke-credentials.js'
import { deleteAgentTokenByAccessor, deleteAgentTokensMadeBy } from './repository.js'

declare module '../../services/revoke-credentials.js' {
  interface RevokedInFamilies {
    /** Agent tokens the user made, in every tenant, deleted. */
    agentTokens: number
  }
}

/** Agent tokens, made by a user for a tenant's agents. */
export const agentTokenCredentials: StoredCredentialType = {
  name: 'agent-token',
  ofUser: 'made',
  end: (trx, _box, { accountId, accessor }) => deleteAgentTokenByAccessor(trx, accountId, accessor)
}

export const revokeAgentTokensOfUser: UserCredentialRevocation = async (trx, userId, dryRun) =>
  ({ agentTokens: await deleteAgentTokensMadeBy(trx, userId, dryRun) })
