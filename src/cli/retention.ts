import { FAMILY_CLIS } from '../families/cli-commands.js'
import { inWords } from '../core/in-words.js'
import { retained } from '../services/retained-credentials.js'
import type { CommandSpec } from './command.js'
import type { RetentionView } from './operations.js'

/** The kinds of credential kept once ended, the identity core's and the families'. */
const ENDED = retained(FAMILY_CLIS).ended

function describeRun ({ cutoffs, purged }: RetentionView): string[] {
  return [
    `${purged.auditEvents} audit events (${cutoffs.auditEvents === null ? 'AUDIT_RETENTION_DAYS=0: kept for ever' : `before ${cutoffs.auditEvents}`})`,
    `${inWords(ENDED.map(({ count, noun }) => `${purged[count]} ${noun}`))} (ended before ${cutoffs.endedCredentials})`,
    `${purged.credentialUsage} use counts (of credentials that are gone)`
  ]
}

/** Retention, now rather than at the server's next run. */
export const retentionCommands: CommandSpec[] = [
  {
    group: 'retention',
    name: 'purge',
    summary: `Purge now what the server purges on its timer (by the server's settings, in remote mode): audit events older than AUDIT_RETENTION_DAYS, ${inWords(ENDED.map(({ noun }) => noun))} ended more than ENDED_CREDENTIAL_RETENTION_DAYS ago, and use counts of credentials that are gone.`,
    arguments: [],
    options: { 'dry-run': { type: 'boolean', description: 'count what would be purged, change nothing' } },
    async run (input, context, print) {
      const run = await context.ops.purgeRetained(input.flag('dry-run'))
      print.result([run.dryRun ? 'would purge:' : 'purged:', ...describeRun(run).map((line) => `  ${line}`)], run)
    }
  }
]
