import type { Config } from '../../config.js'
import type { Database } from '../../db/database.js'
import { ISSUING, serverBox } from '../../cli/server-key.js'
import { fromKeysetPage } from '../../cli/pages.js'
import { audited, CLI_CONTEXT } from '../../services/audit.js'
import { revokeHostCredentialsOf } from './revocation.js'
import type { ConjurOperations } from './cli.js'
import { changePermission, createHostFactory, getHostFactory, listHostFactoryPage, removeHostFactory } from './host-factories.js'

/** The family's commands on the database, audited as the CLI (which no user of the account is). */
export function localConjurOperations (db: Database, config: Config): ConjurOperations {
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
    },
    // The host's new key, which nobody is shown, is sealed like every host key.
    revokeHostCredentials: (account, hostId, dryRun) => revokeHostCredentialsOf(db, serverBox(config, ISSUING), CLI_CONTEXT, { accountId: account.id, hostId }, { dryRun })
  }
}
