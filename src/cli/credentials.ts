import { ACCESSOR_FORMAT } from '../core/accessors.js'
import { InvalidInput } from '../core/errors.js'
import { parseLimit } from '../core/pagination.js'
import { CREDENTIAL_KINDS, type StoredCredentialKind } from '../core/credential-kinds.js'
import type { ReportItem } from '../services/credential-report.js'
import { LIST_LIMIT } from './accounts.js'
import { UsageError, type CommandInput, type CommandSpec } from './command.js'
import { describeAccount } from './views.js'

function days (input: CommandInput, option: string, max: number): number | undefined {
  const text = input.string(option)
  if (text === undefined) return undefined
  const value = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(value <= max)) throw new InvalidInput(`--${option} must be a whole number of days from 0 to ${max}`)
  return value
}

function kindOf (input: CommandInput): StoredCredentialKind | undefined {
  const kind = input.string('kind')
  if (kind === undefined || (CREDENTIAL_KINDS as readonly string[]).includes(kind)) return kind as StoredCredentialKind | undefined
  throw new InvalidInput(`--kind must be one of ${CREDENTIAL_KINDS.join(', ')}`)
}

const orDash = (text: string | null) => text ?? '-'

/** The hygiene report for operators: the admin API's, as a table, JSON lines or CSV. */
export const credentialCommands: CommandSpec[] = [
  {
    group: 'credentials',
    name: 'report',
    summary: "Report an account's credentials of every kind (or one user's): never used, unused, expiring, owned by disabled users; a page at a time.",
    arguments: [{ name: 'account', description: 'the account, by id or by name' }],
    options: {
      user: { type: 'string', value: 'USER', description: 'only this user\'s credentials (held or made), by id or by name' },
      kind: { type: 'string', value: 'KIND', description: `only this kind: ${CREDENTIAL_KINDS.join(', ')}` },
      'never-used': { type: 'boolean', description: 'only those with no recorded use' },
      'unused-days': { type: 'string', value: 'N', description: 'only those not used for N days (never used: made more than N days ago); the `unused` finding\'s N (default 90)' },
      'expiring-days': { type: 'string', value: 'N', description: 'only live ones expiring within N days; the `expiring` finding\'s N (default 30)' },
      'owner-disabled': { type: 'boolean', description: 'only those held or made by a disabled user' },
      'include-ended': { type: 'boolean', description: 'revoked and expired ones too' },
      csv: { type: 'boolean', description: 'print CSV (RFC 4180, with a header) instead of a table' },
      limit: { type: 'string', value: 'N', description: `credentials per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
      after: { type: 'string', value: 'ACCESSOR', description: 'start after this accessor (the last of the previous page)' }
    },
    async run (input, context, print) {
      if (input.flag('csv') && print.json) throw new UsageError('--csv and --json are two formats: choose one', 'credentials report')
      // Loaded only when needed, not with every command: it brings the database layer.
      const needsService = input.flag('csv') || input.string('unused-days') !== undefined || input.string('expiring-days') !== undefined
      const { REPORT_DAYS_MAX, reportCsv } = needsService ? await import('../services/credential-report.js') : { REPORT_DAYS_MAX: 0, reportCsv: undefined }
      const limit = parseLimit(input.string('limit'), LIST_LIMIT)
      const after = input.string('after')
      if (after !== undefined && !ACCESSOR_FORMAT.test(after)) throw new InvalidInput('--after must be an accessor (letters, digits, _ and -)')
      const query = {
        kind: kindOf(input),
        neverUsed: input.flag('never-used'),
        unusedDays: days(input, 'unused-days', REPORT_DAYS_MAX),
        expiringDays: days(input, 'expiring-days', REPORT_DAYS_MAX),
        ownerDisabled: input.flag('owner-disabled'),
        includeEnded: input.flag('include-ended')
      }
      const account = await context.ops.findAccount(input.arg('account'))
      const userArgument = input.string('user')
      const user = userArgument === undefined ? undefined : await context.ops.findUser(userArgument)
      const page = await context.ops.reportCredentials(account, user, query, { after, limit })
      if (input.flag('csv')) {
        print.raw(reportCsv!(page.items))
      } else {
        print.table(page.items, [
          { header: 'ACCESSOR', value: (item: ReportItem) => item.accessor },
          { header: 'KIND', value: (item) => item.kind },
          { header: 'OWNER', value: (item) => `${item.owner.type}:${item.owner.id}` },
          { header: 'NAME', value: (item) => item.name === null ? '-' : JSON.stringify(item.name) },
          { header: 'CREATED', value: (item) => item.createdAt },
          { header: 'EXPIRES', value: (item) => orDash(item.expiresAt) },
          { header: 'LAST USED', value: (item) => orDash(item.lastUsedAt) },
          { header: 'USES', value: (item) => String(item.useCount) },
          { header: 'FINDINGS', value: (item) => item.findings.join(',') || '-' }
        ], (item) => item, `no credentials in ${describeAccount(account)} match`)
      }
      if (page.next) print.note(`more credentials follow: continue with --after ${page.items.at(-1)!.accessor}`)
    }
  }
]
