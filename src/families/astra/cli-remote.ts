import { fromApiPage, pageQuery, type ApiPage } from '../../cli/pages.js'
import { segment } from '../../cli/remote/admin-paths.js'
import type { AdminClient } from '../../cli/remote/client.js'
import type { AstraTokenOperations } from './cli.js'
import type { AstraTokenView } from './token-view.js'

/** The token commands through the admin API's super-admin routes (the CLI knows no token's account). */
export function remoteTokenOperations (client: AdminClient): AstraTokenOperations {
  const tokensPath = (userId: string) => `/admin/v1/users/${segment(userId)}/astra-tokens`
  return {
    listTokens: async (user, page) => fromApiPage(await client.request('GET', tokensPath(user.id), { query: pageQuery(page) }) as ApiPage<AstraTokenView>),
    async revokeToken (user, tokenId) {
      await client.request('DELETE', `${tokensPath(user.id)}/${segment(tokenId)}`)
      return true
    }
  }
}
