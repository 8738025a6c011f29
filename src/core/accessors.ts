import { randomBytes } from 'node:crypto'

/**
 * A credential's non-secret handle: its kind's prefix and 128 random bits, never derived from
 * the secret, so knowing one tells nothing of the other. The prefix (three letters, one per
 * kind, as migration 0014 set them) says what it names at a glance, as a log line or a support
 * ticket quotes it; each kind's owner keeps its own. Sessions' audit ids and some tokens' ids
 * are their accessors already.
 */
export function newAccessor (prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`
}

/** Any accessor Tessera makes or keeps (the route parameter's pattern): no longer than credential_usage's key. */
export const ACCESSOR_PATTERN = '^[A-Za-z0-9_-]{1,64}$'
export const ACCESSOR_FORMAT = new RegExp(ACCESSOR_PATTERN)

/**
 * The response header that names the credentials a request made, in order, where the original
 * API's body has no room for Tessera's handle (some APIs' create replies).
 */
export const ACCESSOR_HEADER = 'tessera-credential-accessor'
