/** The option of the commands that end credentials (a user's, a host's). */
export const DRY_RUN = { 'dry-run': { type: 'boolean', description: 'report what would be revoked, change nothing' } } as const
