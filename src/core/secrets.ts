import { createCipheriv, createDecipheriv, hash, timingSafeEqual } from 'node:crypto'
import { random } from 'nanoid'

const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const SEALED_VERSION = 1

/**
 * `count` bytes from the system's CSPRNG, drawn from nanoid's pool: one call to the CSPRNG per
 * 128 draws. Each draw costs ≈ 5 µs here (randomBytes' fixed overhead), and issuing a token
 * takes three. Copied: the pool's bytes are overwritten when it refills; none is drawn twice.
 */
export function randomBytes (count: number): Buffer {
  return Buffer.from(random(count))
}

export function randomHex (bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** URL-safe base64 without padding: the shape of Keystone audit ids. */
export function randomUrlSafe (bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** Lookup hash of a high-entropy secret. A slow KDF would add nothing here (design.md). */
export function sha256 (value: string): Buffer {
  // One-shot: no Hash object per call (every validated request hashes its secret). As latin1
  // text ('binary') made a Buffer from Node's pool: 0.4 µs, where the 'buffer' output allocates
  // a memory block of its own for 1.1 µs.
  return Buffer.from(hash('sha256', value, 'binary'), 'binary')
}

export function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Decodes a 32-byte key written as hex or base64 (standard or URL-safe); null if it is neither. */
export function parseSecretKey (text: string): Buffer | null {
  const trimmed = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64')
    return key.length === KEY_BYTES ? key : null
  }
  return null
}

export function generateSecretKey (): string {
  return randomBytes(KEY_BYTES).toString('base64')
}

/**
 * AES-256-GCM under the server key, for the few secrets an API must show again.
 * Layout: version (1) | iv (12) | tag (16) | ciphertext. The associated data binds a
 * ciphertext to its row, so one row's value cannot be pasted into another.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor (key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`SecretBox needs a ${KEY_BYTES}-byte key`)
    this.#key = key
  }

  seal (plaintext: string, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(associatedData, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return Buffer.concat([Buffer.of(SEALED_VERSION), iv, cipher.getAuthTag(), ciphertext])
  }

  /** Throws when the value was not sealed under this key and associated data. */
  open (sealed: Uint8Array, associatedData: string): string {
    const bytes = Buffer.from(sealed)
    if (bytes[0] !== SEALED_VERSION) throw new Error('unknown sealed-secret version')
    const iv = bytes.subarray(1, 1 + IV_BYTES)
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES)
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv)
    decipher.setAAD(Buffer.from(associatedData, 'utf8'))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
  }
}
