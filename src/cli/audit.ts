import { InvalidInput } from '../core/errors.js'
import { inWords } from '../core/in-words.js'
import { parseLimit } from '../core/pagination.js'
import { FAMILY_CLIS } from '../families/cli-commands.js'
import { endedInWords, revokedFields } from '../services/kill-switch-words.js'
import type { RevokedUserCredentials } from '../services/revoke-credentials.js'
import { LIST_LIMIT } from './accounts.js'
import type { CommandSpec } from './command.js'
import { DRY_RUN } from './dry-run.js'
import { describeUser } from './views.js'

const { held, made } = revokedFields(FAMILY_CLIS)

/** `agent tokens and host factory tokens` as `agent and host factory tokens`: a last word all share is said once. */
function sayingTheLastWordOnce (items: string[]): string {
  const last = items[0]?.split(' ').at(-1) ?? ''
  if (items.some((item) => !item.endsWith(` ${last}`))) return inWords(items)
  return `${inWords(items.map((item) => item.slice(0, -last.length - 1)))} ${last}`
}

/** What a user's kill switch ended (or would end), in the families' words. */
function revokedInWords (revoked: RevokedUserCredentials): string {
  const count = (field: { name: keyof RevokedUserCredentials, credentials: string }) => `${String(revoked[field.name])} ${field.credentials}`
  const counted = (field: { ended?: string }) => field.ended === undefined
  const madeByUser = made.filter(counted)
  return [
    `${revoked.sessions} sessions`,
    `${revoked.apiKeyRevoked ? 'the' : 'no'} API key`,
    ...held.filter(counted).map(count),
    ...madeByUser.length === 0 ? [] : [`${inWords(madeByUser.map(count))} made by the user`],
    ...[...held, ...made].flatMap(({ ended }) => ended ?? [])
  ].join(', ')
}

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
      const account = accountArgument === '-' ? null : await context.ops.findAccount(accountArgument)
      const filters = { kind: input.string('kind'), requestId: input.string('request-id'), since: input.string('since'), until: input.string('until') }
      const page = await context.ops.listAuditEvents(account, filters, { after, limit })
      print.table(page.items, [
        { header: 'ID', value: (event) => event.id },
        { header: 'TIME', value: (event) => event.occurredAt },
        { header: 'KIND', value: (event) => event.kind },
        { header: 'ACTOR', value: (event) => event.actor.name ?? event.actor.id ?? event.actor.kind },
        { header: 'OBJECT', value: (event) => event.object === null ? '-' : `${event.object.type}:${event.object.id}` },
        { header: 'REASON', value: (event) => event.reason ?? '-' },
        { header: 'REQUEST', value: (event) => event.requestId ?? '-' }
      ], (event) => event, 'no audit events')
      if (page.next) print.note(`more events follow: continue with --after ${page.items.at(-1)!.id}`)
    }
  },
  {
    group: 'users',
    name: 'revoke-credentials',
    summary: `Revoke every credential of a user at once, on every replica: ${endedInWords(FAMILY_CLIS, ['sessions', 'API key'], sayingTheLastWordOnce)}.`,
    arguments: [{ name: 'user', description: 'the user, by id or by name' }],
    options: { ...DRY_RUN, 'disable-login': { type: 'boolean', description: 'also remove the password: no login works until one is set again' } },
    async run (input, context, print) {
      const user = await context.ops.findUser(input.arg('user'))
      const dryRun = input.flag('dry-run')
      const disableLogin = input.flag('disable-login')
      const revoked = await context.ops.revokeUserCredentials(user, { dryRun, disableLogin })
      const verb = dryRun ? 'would revoke' : 'revoked'
      print.result(`${verb} for ${describeUser(user)}: ${revokedInWords(revoked)}${disableLogin ? ', and the password' : ''}`, { dryRun, userId: user.id, ...revoked })
    }
  }
]
