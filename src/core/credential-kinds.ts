/** The kinds of stored credential, each with an accessor (issue 21), as the admin API and the CLI name them. */
export const CREDENTIAL_KINDS = ['session', 'api-key', 'agent-token', 'astra-token', 'host-factory-token', 'host-api-key'] as const
export type StoredCredentialKind = typeof CREDENTIAL_KINDS[number]

/**
 * Kinds whose uses Tessera never sees: agents present their tokens to the monitoring endpoint,
 * which Tessera does not serve. Their usage figures stay empty, which says nothing of their use.
 */
export const UNTRACKED_USAGE_KINDS: readonly StoredCredentialKind[] = ['agent-token']
