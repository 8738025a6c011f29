import { availableParallelism } from 'node:os'
import { hash, verify, type Options } from '@node-rs/argon2'
import pLimit from 'p-limit'
import type { Fingerprints } from './fingerprints.js'
import { parsePasswordHash, verifyParsedHash } from './password-hashes.js'
import { constantTimeEqual, randomHex, sha256, type SecretBox } from './secrets.js'

/** Argon2id's cost: memory in KiB and passes. Parallelism is 1, as OWASP's settings have it. */
export interface Argon2Cost {
  memoryCost: number
  timeCost: number
}

/** OWASP Password Storage Cheat Sheet, argon2id option 2: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2: Argon2Cost = { memoryCost: 19456, timeCost: 2 }

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 4096

/**
 * At most one argon2 computation per core at a time, process-wide: more only share the cores
 * (and their caches) with each other, the event loop and PostgreSQL, at 19 MiB of memory each.
 */
const oneAtATimePerCore = pLimit(availableParallelism())

/**
 * Hashes and verifies passwords with argon2id on the libuv thread pool, so the event loop
 * keeps serving. The cost applies to new hashes (each hash records its own); only tests
 * construct one cheaper than OWASP's.
 */
export class PasswordHasher {
  readonly #options: Options
  #dummyHash: Promise<string> | undefined

  constructor (cost: Argon2Cost = OWASP_ARGON2) {
    // algorithm 2 is Argon2id (a const enum in the binding's typings, which isolated modules cannot read).
    this.#options = { algorithm: 2 as Options['algorithm'], ...cost, parallelism: 1 }
  }

  hash (password: string): Promise<string> {
    return oneAtATimePerCore(() => hash(password, this.#options))
  }

  /**
   * Verifies a password against a stored hash: Tessera's argon2id, or a hash an import brought
   * (argon2i, bcrypt, PBKDF2: see password-hashes.ts). With no hash (unknown user, or a user
   * without a password), or one that is malformed or too costly to verify, it still runs one
   * verification against a throwaway hash, so the answer takes the same time whether or not
   * the user exists, and a bad stored hash is a refused login, never an error.
   */
  async verify (storedHash: string | null | undefined, password: string): Promise<boolean> {
    const parsed = storedHash ? parsePasswordHash(storedHash) : null
    if (!storedHash || !parsed) {
      await this.#verifyDummy(password)
      return false
    }
    const verified = oneAtATimePerCore(() => verifyParsedHash(parsed, storedHash, password))
    if (!this.needsRehash(storedHash)) return verified
    // An imported hash may be far cheaper than Tessera's (bcrypt cost 4, a few PBKDF2 rounds):
    // until the first login rehashes it, the answer waits for a throwaway verification too, so it
    // is never quicker than the answer for a user who does not exist.
    const [ok] = await Promise.all([verified, this.#verifyDummy(password)])
    return ok
  }

  async #verifyDummy (password: string): Promise<void> {
    this.#dummyHash ??= this.hash(randomHex(16))
    const dummy = await this.#dummyHash
    await oneAtATimePerCore(() => verify(dummy, password)).catch(() => false)
  }

  /**
   * Whether a hash that has just verified should be replaced by one of this hasher's: any other
   * format (an imported hash), or argon2id at another cost.
   */
  needsRehash (storedHash: string): boolean {
    const parsed = parsePasswordHash(storedHash)
    return parsed?.scheme !== 'argon2' || parsed.variant !== 'argon2id' || parsed.version !== 0x13 ||
      parsed.memoryCost !== this.#options.memoryCost || parsed.timeCost !== this.#options.timeCost || parsed.parallelism !== 1
  }
}

/** What issuing and checking credentials takes: the server key's box and fingerprints, and the password hasher. */
export interface CredentialTools {
  box: SecretBox
  passwords: PasswordHasher
  fingerprints: Fingerprints
}

/**
 * What a user's API key may be: lowercase Crockford base32, 8 to 56 characters. The identity
 * core's own keys (32 hex digits) and every key a family issues have this shape.
 */
export const API_KEY_SHAPE = /^[0-9a-hjkmnp-tv-z]{8,56}$/

/** A Rackspace-style API key: 32 lowercase hex digits (128 bits). */
export function generateApiKey (): string {
  return randomHex(16)
}

export function hashApiKey (apiKey: string): Buffer {
  return sha256(apiKey)
}

/** Binds a sealed API key to its user, so a copied ciphertext does not open for another. */
function apiKeyContext (userId: string): string {
  return `api-key:${userId}`
}

/** What api_keys stores for a new key: the lookup hash, and the sealed copy a login by API key shows again. */
export function storedApiKey (box: SecretBox, userId: string, apiKey: string): { keyHash: Buffer, keySealed: Buffer } {
  return { keyHash: hashApiKey(apiKey), keySealed: box.seal(apiKey, apiKeyContext(userId)) }
}

/** The API key a sealed copy holds; throws if it was sealed under another key or for another user. */
export function openApiKey (box: SecretBox, userId: string, sealed: Uint8Array): string {
  return box.open(sealed, apiKeyContext(userId))
}

const NO_KEY = Buffer.alloc(32)

/** Constant-time check of an API key against its stored SHA-256; compares against zeros when none is stored. */
export function verifyApiKey (storedHash: Uint8Array | null | undefined, apiKey: string): boolean {
  const matches = constantTimeEqual(Buffer.from(storedHash ?? NO_KEY), hashApiKey(apiKey))
  return Boolean(storedHash) && matches
}
