import type { Database } from '../../db/database.js'
import { fromKeysetPage } from '../../cli/pages.js'
import { audited, CLI_CONTEXT } from '../../services/audit.js'
import type { HostFactoryOperations } from './cli.js'
import { changePermission, createHostFactory, getHostFactory, listHostFactoryPage, removeHostFactory } from './host-factories.js'

/** The host factory commands on the database, audited as the CLI (which no user of the account is). */
export function localHostFactoryOperations (db: Database): HostFactoryOperations {
  return {
    create: (account, input) => audited(db, CLI_CONTEXT, (trx) => createHostFactory(trx, account.id, input, null),
      () => ({ kind: 'host-factory.created', accountId: account.id, object: { type: 'host-factory', id: input.id }, details: { layers: input.layers, owner: input.owner } })),
    async list (account, page) {
      return fromKeysetPage(await listHostFactoryPage(db, account.id, page), ({ key: _key, ...factory }) => factory)
    },
    get: (account, id) => getHostFactory(db, account.id, id),
    async remove (account, id) {
      await audited(db, CLI_CONTEXT, (trx) => removeHostFactory(trx, account.id, id), () => ({ kind: 'host-factory.deleted', accountId: account.id, object: { type: 'host-factory', id } }))
    },
    async changePermission (account, id, change, grant) {
      await audited(db, CLI_CONTEXT, (trx) => changePermission(trx, account.id, id, change, grant),
        () => ({ kind: grant ? 'host-factory.privilege-granted' : 'host-factory.privilege-withdrawn', accountId: account.id, object: { type: 'host-factory', id }, details: { ...change } }))
    }
  }
}
