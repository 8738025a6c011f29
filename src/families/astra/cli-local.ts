import { toKeysetPage } from '../../core/pagination.js'
import type { Database } from '../../db/database.js'
import { fromKeysetPage } from '../../cli/pages.js'
import { audited, CLI_CONTEXT } from '../../services/audit.js'
import type { AstraTokenOperations } from './cli.js'
import { listTokensOfUser, revokeTokenOfUser } from './repository.js'
import { toAstraToken } from './token-view.js'

/** The token commands on the database, audited as the CLI. */
export function localTokenOperations (db: Database): AstraTokenOperations {
  return {
    async listTokens (user, page) {
      return fromKeysetPage(toKeysetPage(await listTokensOfUser(db, user.id, page), page), toAstraToken)
    },
    async revokeToken (user, tokenId) {
      // The token's own account, which is not the user's when a role there let them make it.
      const revokedOn = await audited(db, CLI_CONTEXT, (trx) => revokeTokenOfUser(trx, user.id, tokenId),
        (accountId) => accountId === undefined ? undefined : { kind: 'astra-token.revoked', accountId, object: { type: 'astra-token', id: tokenId }, details: { userId: user.id } })
      return revokedOn !== undefined
    }
  }
}
