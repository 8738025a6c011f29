import type { CredentialAccessors, EndedCredentials } from '../db/repositories/retention.js'

/**
 * What retention purges, as data: light enough for the CLI's help, which names what a purge
 * removes without loading the database layer.
 */

/** What a family keeps that retention purges (TokenFamily.retention). */
export interface FamilyRetention {
  /** Its credentials that stay stored once ended, until the purge. */
  ended?: readonly EndedCredentials[]
  /** Every table of its stored credentials: a use count whose accessor none holds is purged. */
  accessors: readonly CredentialAccessors[]
}

export type RetainingFamilies = ReadonlyArray<{ retention?: FamilyRetention | undefined }>

/** The identity core's sessions, expired or revoked. */
export const ENDED_SESSIONS: EndedCredentials = { count: 'sessions', noun: 'sessions', table: 'auth_sessions', key: 'audit_id', accessor: 'audit_id', endedAt: ['expires_at', 'revoked_at'] }

/** The identity core's own stored credentials: sessions and users' API keys. */
const CORE_CREDENTIAL_ACCESSORS: readonly CredentialAccessors[] = [{ table: 'auth_sessions', accessor: 'audit_id' }, { table: 'api_keys', accessor: 'accessor' }]

/** What retention purges: the identity core's part, then the families'. */
export function retained (families: RetainingFamilies) {
  const parts = families.flatMap((family) => family.retention ?? [])
  return {
    ended: [ENDED_SESSIONS, ...parts.flatMap((part) => part.ended ?? [])],
    accessors: [...CORE_CREDENTIAL_ACCESSORS, ...parts.flatMap((part) => part.accessors)]
  }
}
