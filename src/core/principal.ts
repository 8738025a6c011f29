/**
 * What a caller is: the identity core's users, or a kind of principal a family keeps of its own
 * (a machine identity, a token that only enrols machines), named by that family.
 */
export type PrincipalKind = 'user' | (string & {})

/** The authenticated caller, the same whichever header dialect carried the credential. */
export interface Principal {
  kind: PrincipalKind
  id: string
  name: string
  /** The account (tenant) the credential is scoped to, or null when unscoped. */
  accountId: string | null
  /** The caller's own account, when known: an unscoped session's refusals go to its trail. */
  homeAccountId?: string | undefined
  roles: readonly string[]
  /**
   * How the caller proved who they are: the credential kind's name, the credential's id, and its
   * accessor (its non-secret handle in the credentials view) when it is stored; null for kinds
   * that are not (Conjur access tokens, verified by signature).
   */
  credential: { kind: string, id: string, accessor: string | null, expiresAt: Date | null }
}

export const ADMIN_ROLE = 'admin'

export function hasRoleOn (principal: Principal, accountId: string, role: string): boolean {
  return principal.accountId === accountId && principal.roles.includes(role)
}
