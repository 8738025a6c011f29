import { InvalidInput } from '../core/errors.js'
import { parseLimit, toKeysetPage } from '../core/pagination.js'
import { parseRfc3339 } from '../core/rfc3339.js'
import { listAuditEvents, type AuditEventRow } from '../db/repositories/audit-events.js'
import { CLI_CONTEXT } from '../services/audit.js'
import { resolveAccount, resolveUser } from '../services/lookups.js'
import { revokeHostCredentialsOf, revokeUserCredentials } from '../services/revoke-credentials.js'
import { LIST_LIMIT } from './accounts.js'
import { credentialToolsOf, type CommandSpec } from './command.js'
import { describeAccount, describeUser } from './views.js'

/** The --json shape: the admin API's audit event. */
function auditEventView (row: AuditEventRow) {
  return {
    id: String(row.id),
    occurredAt: row.occurred_at,
    accountId: row.account_id,
    kind: row.kind,
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name, credential: row.actor_credential },
    object: row.object_type === null ? null : { type: row.object_type, id: row.object_id },
    reason: row.reason,
    requestId: row.request_id,
    clientIp: row.client_ip,
    details: row.details
  }
}

function instant (option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = parseRfc3339(value)
  if (date === null) throw new InvalidInput(`--${option} must be an ISO 8601 date and time, e.g. 2026-11-22T10:00:00Z`)
  return date
}

const DRY_RUN = { 'dry-run': { type: 'boolean', description: 'report what would be revoked, change nothing' } } as const

/** The audit trail, and the kill switch, for operators. */
export const auditCommands: CommandSpec[] = [
  {
    group: 'audit-events',
    name: 'list',
    summary: "List an account's audit events (changes and refusals), oldest first, a page at a time.",
    arguments: [{ name: 'account', description: "the account, by id or by name ('-' for refusals naming no account)" }],
    options: {
      kind: { type: 'string', value: 'KIND', description: 'only events of this kind, e.g. authentication.denied' },
      'request-id': { type: 'string', value: 'ID', description: 'only the events of this request (the X-Request-Id its client saw)' },
      since: { type: 'string', value: 'TIME', description: 'only events at or after this ISO 8601 instant' },
      until: { type: 'string', value: 'TIME', description: 'only events before this ISO 8601 instant' },
      limit: { type: 'string', value: 'N', description: `events per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
      after: { type: 'string', value: 'ID', description: 'start after this event id (the last id of the previous page)' }
    },
    async run (input, context, print) {
      const limit = parseLimit(input.string('limit'), LIST_LIMIT)
      const after = input.string('after')
      if (after !== undefined && !/^[0-9]{1,18}$/.test(after)) throw new InvalidInput('--after must be an event id')
      const accountArgument = input.arg('account')
      const accountId = accountArgument === '-' ? null : (await resolveAccount(context.db, accountArgument)).id
      const request = { after, limit }
      const rows = await listAuditEvents(context.db, {
        accountIds: [accountId],
        kind: input.string('kind'),
        requestId: input.string('request-id'),
        since: instant('since', input.string('since')),
        until: instant('until', input.string('until'))
      }, request)
      const page = toKeysetPage(rows, request)
      print.table(page.items, [
        { header: 'ID', value: (row) => String(row.id) },
        { header: 'TIME', value: (row) => row.occurred_at.toISOString() },
        { header: 'KIND', value: (row) => row.kind },
        { header: 'ACTOR', value: (row) => row.actor_name ?? row.actor_id ?? row.actor_kind ?? '-' },
        { header: 'OBJECT', value: (row) => row.object_type === null ? '-' : `${row.object_type}:${row.object_id}` },
        { header: 'REASON', value: (row) => row.reason ?? '-' },
        { header: 'REQUEST', value: (row) => row.request_id ?? '-' }
      ], auditEventView, 'no audit events')
      if (page.next) print.note(`more events follow: continue with --after ${String(page.items.at(-1)!.id)}`)
    }
  },
  {
    group: 'users',
    name: 'revoke-credentials',
    summary: 'Revoke every credential of a user at once, on every replica: sessions, API key, Astra tokens, Conjur access tokens, and the agent and host factory tokens the user made.',
    arguments: [{ name: 'user', description: 'the user, by id or by name' }],
    options: { ...DRY_RUN, 'disable-login': { type: 'boolean', description: 'also remove the password: no login works until one is set again' } },
    async run (input, context, print) {
      const user = await resolveUser(context.db, input.arg('user'))
      const dryRun = input.flag('dry-run')
      const disableLogin = input.flag('disable-login')
      const revoked = await revokeUserCredentials(context.db, CLI_CONTEXT, { accountId: user.account_id, userId: user.id }, { dryRun, disableLogin, now: new Date() })
      const verb = dryRun ? 'would revoke' : 'revoked'
      print.result(`${verb} for ${describeUser(user)}: ${revoked.sessions} sessions, ${revoked.apiKeyRevoked ? 'the' : 'no'} API key, ${revoked.astraTokens} Astra tokens, ` +
        `${revoked.agentTokens} agent tokens and ${revoked.hostFactoryTokens} host factory tokens made by the user, every Conjur access token issued until now` +
        `${disableLogin ? ', and the password' : ''}`, { dryRun, userId: user.id, ...revoked })
    }
  },
  {
    group: 'hosts',
    name: 'revoke-credentials',
    summary: "Revoke a Conjur host's API key and access tokens at once, on every replica.",
    arguments: [{ name: 'account', description: 'the account, by id or by name' }, { name: 'host', description: 'the host id, without host/' }],
    options: DRY_RUN,
    async run (input, context, print) {
      const account = await resolveAccount(context.db, input.arg('account'))
      const hostId = input.arg('host')
      const dryRun = input.flag('dry-run')
      const revoked = await revokeHostCredentialsOf(context.db, credentialToolsOf(context).box, CLI_CONTEXT, { accountId: account.id, hostId }, { dryRun })
      print.result(`${dryRun ? 'would revoke' : 'revoked'} the API key and access tokens of host ${hostId} of ${describeAccount(account)}, and ${revoked.hostFactoryTokens} host factory tokens it made`, { dryRun, accountId: account.id, hostId, ...revoked })
    }
  }
]
