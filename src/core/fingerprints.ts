import { createHmac, hkdfSync } from 'node:crypto'

/**
 * Keyed fingerprints of text that may be a secret typed into the wrong field, such as a login
 * name that names nobody (often a password): equal texts get equal fingerprints, so refusals and
 * failure counts still group by them, but without the server key nobody can test guesses against
 * one, as they could against a plain hash.
 */
export class Fingerprints {
  readonly #key: Buffer

  constructor (serverKey: Buffer) {
    // A key of its own: a fingerprint reveals nothing of the keys that seal or sign.
    this.#key = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), 'tessera/fingerprints', 32))
  }

  /** 43 URL-safe characters (HMAC-SHA-256). */
  of (text: string): string {
    return createHmac('sha256', this.#key).update(text, 'utf8').digest('base64url')
  }
}
