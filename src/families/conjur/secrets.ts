import { API_KEY_SHAPE } from '../../core/credentials.js'
import { randomBytes } from '../../core/secrets.js'

/** Crockford's base32 alphabet, lower-cased: no i, l, o, u (spec §A5). */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'
/**
 * A Conjur secret (host factory token or API key) as Conjur makes one (spec §A5): 32 random
 * bytes read as eight big-endian 32-bit integers, each in Crockford base32 without padding,
 * concatenated. 8 to 56 characters, nearly always 53 to 56.
 */
export function newConjurSecret (): string {
  return conjurSecretOf(randomBytes(32))
}

/** The secret `bytes` (32) make: each 32-bit integer's base-32 digits, most significant first. */
export function conjurSecretOf (bytes: Buffer): string {
  let secret = ''
  for (let offset = 0; offset < 32; offset += 4) {
    let value = bytes.readUInt32BE(offset)
    let digits = ''
    do {
      digits = CROCKFORD[value & 31]! + digits
      value >>>= 5
    } while (value > 0)
    secret += digits
  }
  return secret
}

/** The shape of every secret newConjurSecret makes (an API key's, as the identity core knows it); anything else cannot be one. */
export const CONJUR_SECRET_FORMAT = API_KEY_SHAPE

/** Binds a sealed host factory token to its lookup hash, so a copied ciphertext opens nowhere else. */
export function tokenSealingContext (tokenSha256: Uint8Array): string {
  return `host-factory-token:${Buffer.from(tokenSha256).toString('hex')}`
}

/** Binds a sealed host API key to its host. */
export function hostKeySealingContext (accountId: string, hostId: string): string {
  return `host-api-key:${accountId}:${hostId}`
}
