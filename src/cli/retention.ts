import type { CommandSpec } from './command.js'
import type { RetentionView } from './operations.js'

function describeRun ({ cutoffs, purged }: RetentionView): string[] {
  return [
    `${purged.auditEvents} audit events (${cutoffs.auditEvents === null ? 'AUDIT_RETENTION_DAYS=0: kept for ever' : `before ${cutoffs.auditEvents}`})`,
    `${purged.sessions} sessions, ${purged.astraTokens} Astra tokens and ${purged.hostFactoryTokens} host factory tokens (ended before ${cutoffs.endedCredentials})`,
    `${purged.credentialUsage} use counts (of credentials that are gone)`
  ]
}

/** Retention, now rather than at the server's next run. */
export const retentionCommands: CommandSpec[] = [
  {
    group: 'retention',
    name: 'purge',
    summary: 'Purge now what the server purges on its timer (by the server\'s settings, in remote mode): audit events older than AUDIT_RETENTION_DAYS, sessions, Astra tokens and host factory tokens ended more than ENDED_CREDENTIAL_RETENTION_DAYS ago, and use counts of credentials that are gone.',
    arguments: [],
    options: { 'dry-run': { type: 'boolean', description: 'count what would be purged, change nothing' } },
    async run (input, context, print) {
      const run = await context.ops.purgeRetained(input.flag('dry-run'))
      print.result([run.dryRun ? 'would purge:' : 'purged:', ...describeRun(run).map((line) => `  ${line}`)], run)
    }
  }
]
