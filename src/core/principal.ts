/** The authenticated caller, the same whichever header dialect carried the credential. */
export interface Principal {
  kind: 'user' | 'host' | 'host_factory'
  id: string
  name: string
  /** The account (tenant) the credential is scoped to, or null when unscoped. */
  accountId: string | null
  /** The caller's own account, when known: an unscoped session's refusals go to its trail. */
  homeAccountId?: string | undefined
  roles: readonly string[]
  /** How the caller proved who they are: the credential kind's name, and the credential's id. */
  credential: { kind: string, id: string, expiresAt: Date | null }
}

export const ADMIN_ROLE = 'admin'

export function hasRoleOn (principal: Principal, accountId: string, role: string): boolean {
  return principal.accountId === accountId && principal.roles.includes(role)
}
