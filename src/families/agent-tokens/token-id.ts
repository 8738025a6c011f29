import { randomHex } from '../../core/secrets.js'

/**
 * An agent token id is `<sort key: 16 hex><secret: 48 hex>.<tenantId>` (spec §10.5: 64 lowercase
 * hex, `.`, tenant). The sort key (12 hex digits of the creation time in ms, then 4 random) is
 * not secret and is the row's key, so listing by sort key is listing by id; the 192-bit rest is.
 */
export const SORT_KEY_LENGTH = 16
const TIME_HEX_DIGITS = 12
const SECRET_BYTES = 24
const TOKEN_ID = /^([0-9a-f]{16})[0-9a-f]{48}\.(.+)$/s

export interface NewTokenId {
  id: string
  sortKey: string
}

export function newTokenId (tenantId: string, now = Date.now()): NewTokenId {
  const sortKey = now.toString(16).padStart(TIME_HEX_DIGITS, '0').slice(-TIME_HEX_DIGITS) + randomHex(2)
  return { id: `${sortKey}${randomHex(SECRET_BYTES)}.${tenantId}`, sortKey }
}

/** The sort key of a well-formed id of `tenantId`'s; null for anything else (which then cannot exist). */
export function sortKeyOf (id: string, tenantId: string): string | null {
  const match = TOKEN_ID.exec(id)
  return match && match[2] === tenantId ? match[1]! : null
}

/**
 * What error details and logs may show of an id: at most its first 16 characters, which for a
 * real id is its sort key. The rest is the secret.
 */
export function publicPartOf (id: string): string {
  return id.length > SORT_KEY_LENGTH ? `${id.slice(0, SORT_KEY_LENGTH)}…` : id
}

/** Binds a sealed token to its row, so a copied ciphertext does not open elsewhere. */
export function sealingContext (accountId: string, sortKey: string): string {
  return `agent-token:${accountId}:${sortKey}`
}
