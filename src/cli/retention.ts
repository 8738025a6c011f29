import { CLI_CONTEXT } from '../services/audit.js'
import { countPurgeable, purgeRetained, type RetentionCounts, type RetentionCutoffs } from '../services/retention.js'
import type { CommandSpec } from './command.js'

function describeRun (cutoffs: RetentionCutoffs, purged: RetentionCounts): string[] {
  return [
    `${purged.auditEvents} audit events (${cutoffs.auditEvents === null ? 'AUDIT_RETENTION_DAYS=0: kept for ever' : `before ${cutoffs.auditEvents.toISOString()}`})`,
    `${purged.sessions} sessions, ${purged.astraTokens} Astra tokens and ${purged.hostFactoryTokens} host factory tokens (ended before ${cutoffs.endedCredentials.toISOString()})`,
    `${purged.credentialUsage} use counts (of credentials that are gone)`
  ]
}

/** Retention, now rather than at the server's next run. */
export const retentionCommands: CommandSpec[] = [
  {
    group: 'retention',
    name: 'purge',
    summary: 'Purge now what the server purges on its timer: audit events older than AUDIT_RETENTION_DAYS, sessions, Astra tokens and host factory tokens ended more than ENDED_CREDENTIAL_RETENTION_DAYS ago, and use counts of credentials that are gone.',
    arguments: [],
    options: { 'dry-run': { type: 'boolean', description: 'count what would be purged, change nothing' } },
    async run (input, context, print) {
      const dryRun = input.flag('dry-run')
      const now = new Date()
      const { cutoffs, purged } = dryRun
        ? await countPurgeable(context.db, context.config.retention, now)
        : await purgeRetained(context.db, CLI_CONTEXT, context.config.retention, { now })
      const cutoffText = { auditEvents: cutoffs.auditEvents?.toISOString() ?? null, endedCredentials: cutoffs.endedCredentials.toISOString() }
      print.result([dryRun ? 'would purge:' : 'purged:', ...describeRun(cutoffs, purged).map((line) => `  ${line}`)], { dryRun, cutoffs: cutoffText, purged })
    }
  }
]
