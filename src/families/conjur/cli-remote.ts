import type { AccountView } from '../../cli/operations.js'
import { fromApiPage, pageQuery, type ApiPage } from '../../cli/pages.js'
import { accountPath, segment } from '../../cli/remote/admin-paths.js'
import type { AdminClient } from '../../cli/remote/client.js'
import type { RevokedHostCredentials } from './revocation.js'
import type { ConjurOperations } from './cli.js'
import type { HostFactoryView } from './host-factories.js'

/** The family's commands through its admin routes. */
export function remoteConjurOperations (client: AdminClient): ConjurOperations {
  const factoriesPath = (account: AccountView) => `${accountPath(account)}/host-factories`
  const factoryPath = (account: AccountView, id: string) => `${factoriesPath(account)}/${segment(id)}`
  return {
    create: async (account, input) => await client.request('POST', factoriesPath(account), { body: input }) as HostFactoryView,
    list: async (account, page) => fromApiPage(await client.request('GET', factoriesPath(account), { query: pageQuery(page) }) as ApiPage<HostFactoryView>),
    get: async (account, id) => await client.request('GET', factoryPath(account, id)) as HostFactoryView,
    async remove (account, id) {
      await client.request('DELETE', factoryPath(account, id))
    },
    async changePermission (account, id, change, grant) {
      await client.request(grant ? 'POST' : 'DELETE', `${factoryPath(account, id)}/permissions`, { body: change })
    },
    async revokeHostCredentials (account, hostId, dryRun) {
      const { dryRun: _dryRun, ...revoked } = await client.request('POST', `${accountPath(account)}/hosts/${segment(hostId)}/revoke-credentials`, { query: { dryRun } }) as RevokedHostCredentials & { dryRun: boolean }
      return revoked
    }
  }
}
