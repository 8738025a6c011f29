import { Forbidden, NotFound } from '../../core/errors.js'
import { ADMIN_ROLE, type Principal } from '../../core/principal.js'
import type { Database } from '../../db/database.js'
import { findSession, type Session } from '../../services/sessions.js'
import { TOKEN_NOT_VALID } from './messages.js'

export interface TokenPolicy {
  /** Keystone's policy name, shown in the 403 message. */
  action: string
  /** A token may act on itself (validate, revoke) without the admin role. */
  allowSelf: boolean
}

/**
 * Finds the session `tokenId` names, if the caller may see it. The admin role is required
 * (spec §0.8): an admin of the Tessera admin account may act on every token; an admin of
 * another account, on tokens scoped to that account. Without the role: 403, even for
 * unknown tokens, as Keystone checks policy first.
 */
export async function findSessionAs (db: Database, caller: Principal, tokenId: string, policy: TokenPolicy, adminAccount: string): Promise<Session> {
  const isAdmin = caller.roles.includes(ADMIN_ROLE)
  if (!isAdmin && !policy.allowSelf) throw new Forbidden(policy.action)
  const target = await findSession(db, tokenId)
  if (!target) {
    if (isAdmin) throw new NotFound(TOKEN_NOT_VALID, { type: 'Token', key: 'token' })
    throw new Forbidden(policy.action)
  }
  if (policy.allowSelf && caller.credential.kind === 'session' && caller.credential.id === target.auditId) return target
  if (!isAdmin) throw new Forbidden(policy.action)
  if (caller.accountId === adminAccount) return target
  if (caller.accountId !== null && target.account?.id === caller.accountId) return target
  throw new Forbidden(policy.action)
}
