import { Forbidden, NotFound } from '../../core/errors.js'
import { ADMIN_ROLE, type Principal } from '../../core/principal.js'
import type { Session } from '../../services/sessions.js'
import { TOKEN_NOT_VALID } from './messages.js'

/** Keystone's `service` role: validation is for services checking the tokens they receive. */
export const SERVICE_ROLE = 'service'

export interface TokenPolicy {
  /** Keystone's policy name, shown in the 403 message. */
  action: string
  /** Roles that satisfy the policy (Keystone: `admin_required`, or `service_or_admin`). */
  roles: readonly string[]
  /** A token may act on itself (revoke) without one of the roles. */
  allowSelf: boolean
}

/**
 * The session `lookUp` finds (the one a token id names), if the caller may see it. One of the policy's roles is
 * required (spec §0.8; on v2.0 validation is admin or service only, even of the token itself):
 * held on the Tessera admin account it reaches every token; on another account, the tokens
 * scoped to that account. Without one: 403, even for unknown tokens, as Keystone checks policy first.
 */
export async function findSessionAs (caller: Principal, lookUp: () => Promise<Session | undefined>, policy: TokenPolicy, adminAccount: string): Promise<Session> {
  const privileged = policy.roles.some((role) => caller.roles.includes(role))
  if (!privileged && !policy.allowSelf) throw new Forbidden(policy.action)
  const target = await lookUp()
  if (!target) {
    if (privileged) throw new NotFound(TOKEN_NOT_VALID, { type: 'Token', key: 'token' })
    throw new Forbidden(policy.action)
  }
  if (policy.allowSelf && caller.credential.kind === 'session' && caller.credential.id === target.auditId) return target
  if (!privileged) throw new Forbidden(policy.action)
  if (caller.accountId === adminAccount) return target
  if (caller.accountId !== null && target.account?.id === caller.accountId) return target
  throw new Forbidden(policy.action)
}

export const ADMIN_ONLY = [ADMIN_ROLE] as const
export const SERVICE_OR_ADMIN = [ADMIN_ROLE, SERVICE_ROLE] as const
