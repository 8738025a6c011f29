import type { Config } from '../config.js'
import { PasswordHasher, type CredentialTools } from '../core/credentials.js'
import { Fingerprints } from '../core/fingerprints.js'
import { SecretBox } from '../core/secrets.js'
import { toKeysetPage } from '../core/pagination.js'
import { listAccounts } from '../db/repositories/accounts.js'
import type { Database } from '../db/database.js'
import { listAuditEvents } from '../db/repositories/audit-events.js'
import { isUserOfAccount } from '../db/repositories/memberships.js'
import { toAccount, toAuditEvent, toUser } from '../services/views.js'
import { audited, CLI_CONTEXT } from '../services/audit.js'
import { reportCredentials } from '../services/credential-report.js'
import { listUsersWithAllRoles } from '../services/directory.js'
import { assignRole, changeAccount, changeUser, createAccount, createUser, rotateApiKey, withdrawRole } from '../services/identity.js'
import { resolveAccount, resolveUser } from '../services/lookups.js'
import { purgeOnRequest } from '../services/retention.js'
import { revokeUserCredentials } from '../services/revoke-credentials.js'
import { runImport, writeExport } from '../services/transfer/run.js'
import { transferSections } from '../services/transfer/sections.js'
import type { TokenFamily } from '../families/family.js'
import { parseRfc3339 } from '../core/rfc3339.js'
import { InvalidInput, NotFound } from '../core/errors.js'
import { describeAccount, describeUser } from './views.js'
import type { UserRecord } from '../db/repositories/users.js'
import type { TextSink } from './command.js'
import type { Operations, UserView } from './operations.js'
import { fromKeysetPage as listPage } from './pages.js'
import { ISSUING, serverBox, serverKey } from './server-key.js'
import { once } from 'node:events'

/** The operations on the database itself: the server's services, audited as the CLI. */

const userView = (user: UserRecord): UserView => {
  const { roles: _roles, ...view } = toUser(user, [])
  return view
}

function instant (option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = parseRfc3339(value)
  if (date === null) throw new InvalidInput(`--${option} must be an ISO 8601 date and time, e.g. 2026-11-22T10:00:00Z`)
  return date
}

/** A sink that may say "wait" (a stream's write returns false): wait for its drain before writing on. */
async function write (sink: TextSink, text: string): Promise<void> {
  const emitter = sink as TextSink & { once?: unknown }
  if (sink.write(text) === false && typeof emitter.once === 'function') await once(emitter as unknown as NodeJS.EventEmitter, 'drain')
}

/**
 * The families' list, for the commands that reach every family's tables: it loads every API's
 * routes, so only a command that needs it pays for it (help and parsing stay fast).
 */
async function allFamilies (): Promise<readonly TokenFamily[]> {
  return (await import('../families/index.js')).FAMILIES
}

export function localOperations (db: Database, config: Config, location = 'the database'): Operations {
  const passwords = () => new PasswordHasher(config.passwordHashing)
  const box = (why: string) => serverBox(config, why)
  const tools = (): CredentialTools => {
    const key = serverKey(config, ISSUING)
    return { box: new SecretBox(key), passwords: passwords(), fingerprints: new Fingerprints(key) }
  }

  return {
    target: location,
    findAccount: async (idOrName) => toAccount(await resolveAccount(db, idOrName)),
    findUser: async (idOrName) => userView(await resolveUser(db, idOrName)),

    async createAccount (input) {
      return toAccount(await audited(db, CLI_CONTEXT, (trx) => createAccount(trx, input),
        (made) => ({ kind: 'account.created', accountId: made.id, object: { type: 'account', id: made.id }, details: { name: made.name } })))
    },
    async listAccounts (page) {
      return listPage(toKeysetPage(await listAccounts(db, page), page), toAccount)
    },
    async setAccountEnabled (account, enabled) {
      const { id } = account
      return toAccount(await audited(db, CLI_CONTEXT, (trx) => changeAccount(trx, id, { enabled }, config.admin.account),
        () => ({ kind: 'account.changed', accountId: id, object: { type: 'account', id }, details: { changes: { enabled } } })))
    },

    async createUser (account, input) {
      const { password, ...recorded } = input
      const created = await audited(db, CLI_CONTEXT, (trx) => createUser(trx, tools(), { accountId: account.id, ...input }),
        (made) => ({ kind: 'user.created', accountId: account.id, object: { type: 'user', id: made.user.id }, details: { name: recorded.name, roles: recorded.roles, password: password === undefined ? undefined : 'set' } }))
      return { ...userView(created.user), roles: created.roles, apiKey: created.apiKey, apiKeyAccessor: created.apiKeyAccessor }
    },
    async listUsers (accountId, page) {
      return listPage(await listUsersWithAllRoles(db, accountId, page), ({ user, roles }) => ({ ...userView(user), roles }))
    },
    async changeUser (user, change) {
      const details = 'password' in change ? { changes: { password: 'changed' } } : { changes: change }
      return userView(await audited(db, CLI_CONTEXT, (trx) => changeUser(trx, passwords(), user.id, change),
        (changed) => ({ kind: 'user.changed', accountId: changed.account_id, object: { type: 'user', id: user.id }, details })))
    },
    async rotateApiKey (user) {
      const sealed = box(ISSUING)
      return audited(db, CLI_CONTEXT, (trx) => rotateApiKey(trx, sealed, user.id),
        (issued) => ({ kind: 'api-key.rotated', accountId: user.accountId, object: { type: 'api-key', id: issued.accessor }, details: { userId: user.id } }))
    },
    // The families' list loads every API's routes: only the command that needs it pays for it.
    revokeUserCredentials: async (user, options) => revokeUserCredentials(db, await allFamilies(), CLI_CONTEXT, { accountId: user.accountId, userId: user.id }, { ...options, now: new Date() }),

    async grantRole (user, account, role) {
      await audited(db, CLI_CONTEXT, (trx) => assignRole(trx, user.id, account.id, role), () => ({ kind: 'role.granted', accountId: account.id, object: { type: 'user', id: user.id }, details: { role } }))
    },
    revokeRole: (user, account, role) => audited(db, CLI_CONTEXT, (trx) => withdrawRole(trx, user.id, account.id, role),
      (done) => done ? { kind: 'role.withdrawn', accountId: account.id, object: { type: 'user', id: user.id }, details: { role } } : undefined),

    async listAuditEvents (account, filters, page) {
      const rows = await listAuditEvents(db, {
        accountIds: [account?.id ?? null],
        kind: filters.kind,
        requestId: filters.requestId,
        since: instant('since', filters.since),
        until: instant('until', filters.until)
      }, page)
      return listPage(toKeysetPage(rows, page), toAuditEvent)
    },
    async reportCredentials (account, user, filters, page) {
      if (user && !await isUserOfAccount(db, account.id, user.id)) {
        throw new NotFound(`${describeUser(user)} is not a user of ${describeAccount(account)}`, { type: 'User', key: user.id })
      }
      return listPage(await reportCredentials(db, { accountId: account.id, userId: user?.id, ...filters }, page, new Date()), (item) => item)
    },

    purgeRetained: async (dryRun) => purgeOnRequest(db, await allFamilies(), CLI_CONTEXT, config.retention, dryRun, new Date()),
    exportTo: async (sink) => writeExport(db, transferSections(await allFamilies()), new Date(), (text) => write(sink, text)),
    importFrom: async (request) => runImport(db, transferSections(await allFamilies()), request.lines, {
      box: box("is required to import: credentials are sealed under the server key, and an export's sealed copies open only under the key that sealed them (use the server's key)"),
      now: new Date(),
      adminAccount: { id: config.admin.account, allowed: request.allowAdminAccount },
      audit: CLI_CONTEXT,
      dryRun: request.dryRun,
      onFailure: request.onFailure,
      onProgress: request.onProgress
    }),
    ofFamily: async (cli) => (await cli.local())(db, config)
  }
}
