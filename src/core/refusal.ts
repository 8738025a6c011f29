import type { PrincipalKind } from './principal.js'

/** Who acted: a credential's holder, the operator CLI, or nobody known (a refused stranger). */
export interface Actor {
  kind: PrincipalKind | 'cli' | 'server' | 'anonymous'
  id: string | null
  name: string | null
}

/**
 * Why a credential or a caller was refused, for the audit trail only: the client still gets
 * its API's generic answer. Never holds a secret.
 */
export interface Refusal {
  /** unknown, expired, revoked, disabled, wrong-password, wrong-origin, malformed, missing-privilege, rate-limited… */
  reason: string
  /** The account the refused credential or login belongs to, when known. */
  accountId?: string | null | undefined
  /** Who was refused, when the credential or login names someone. */
  actor?: Actor | undefined
  object?: { type: string, id: string } | undefined
  details?: Record<string, unknown> | undefined
  /**
   * The name a login tried when it names nobody. Often a password typed into the wrong field:
   * the trail and the log keep only its keyed fingerprint (`details.loginFingerprint`).
   */
  unknownLogin?: string | undefined
}
