import { DomainError, InvalidInput, NotFound } from '../../core/errors.js'

/** Conjur's 422 codes (spec §A0.3): which one decides the body, and whether the v2 header reshapes it. */
export type ConjurInputCode = 'argument_error' | 'parameter_missing' | 'unprocessable_entity'

export function argumentError (message: string): InvalidInput {
  return new InvalidInput(message, { reason: 'argument_error' })
}

export function parameterMissing (name: string): InvalidInput {
  return new InvalidInput(`param is missing or the value is empty: ${name}`, { reason: 'parameter_missing' })
}

export function unprocessable (message: string): InvalidInput {
  return new InvalidInput(message, { reason: 'unprocessable_entity' })
}

function capitalize (word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()
}

/**
 * Conjur's record-not-found for a resource id `account:kind:identifier` (spec §A0.3): the message
 * names the kind capitalised (`Host_factory`); an id of fewer than three parts names
 * `unknown kind`/`unknown account` and has no target.
 */
export class ConjurNotFound extends NotFound {
  readonly kind: string | null
  /** The message and id as the client sees them; `message` (which is logged) never holds the secret. */
  readonly shown: { message: string, fullId: string }

  /** `secret`: a part of the id that must not reach the logs (a token value). */
  constructor (fullId: string, secret?: string) {
    const [account, kind, ...identifier] = fullId.split(':')
    const complete = kind !== undefined && identifier.length > 0
    const message = `${capitalize(kind ?? 'unknown kind')} '${identifier.join(':')}' not found in account '${account || 'unknown account'}'`
    const hidden = (text: string) => secret ? text.replaceAll(secret, '[redacted]') : text
    super(hidden(message), { type: complete ? kind : '', key: hidden(fullId) })
    this.name = 'ConjurNotFound'
    this.kind = complete ? kind : null
    this.shown = { message, fullId }
  }
}

/**
 * A refusal by Conjur's authentication middleware, before any controller (spec §A0.2): a short
 * text/plain body, unlike the controllers' empty 401.
 */
export class MiddlewareRefusal extends DomainError {
  readonly statusCode: 401 | 403
  constructor (message: string, statusCode: 401 | 403 = 401) {
    super(message)
    this.name = 'MiddlewareRefusal'
    this.statusCode = statusCode
  }
}

/**
 * A controller's 401 that says why (Conjur's `Unauthorized` raised with its message shown):
 * `{"error":{"code":"unauthorized","message"}}`, e.g. an access token rotating its own role's
 * API key ("Credential strength is insufficient").
 */
export class ExplainedUnauthorized extends DomainError {
  readonly statusCode = 401
  constructor (message: string) {
    super(message)
    this.name = 'ExplainedUnauthorized'
  }
}

/** Conjur's 405 `method_not_allowed`: a role with no API key (a layer, a host factory) cannot have it rotated. */
export class NotApplicableForKeyRotation extends DomainError {
  readonly statusCode = 405
  constructor (roleId: string) {
    super(`CONJ00126E Role '${roleId}' is not applicable for key rotation`)
    this.name = 'NotApplicableForKeyRotation'
  }
}
