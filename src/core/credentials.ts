import { hash, verify, type Options } from '@node-rs/argon2'
import { constantTimeEqual, randomHex, sha256 } from './secrets.js'

/** OWASP Password Storage Cheat Sheet, argon2id option 2: m=19 MiB, t=2, p=1. */
// algorithm 2 is Argon2id (a const enum in the binding's typings, which isolated modules cannot read).
const ARGON2_OPTIONS: Options = { algorithm: 2 as Options['algorithm'], memoryCost: 19456, timeCost: 2, parallelism: 1 }

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 4096

/** Hashes on the libuv thread pool, so the event loop keeps serving other requests. */
export function hashPassword (password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS)
}

let dummyHash: Promise<string> | undefined

/**
 * Verifies a password against a stored hash. With no hash (unknown user, or a user without a
 * password) it still runs one verification against a throwaway hash, so the answer takes the
 * same time whether or not the user exists.
 */
export async function verifyPassword (storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashPassword(randomHex(16))
    await verify(await dummyHash, password).catch(() => false)
    return false
  }
  try {
    return await verify(storedHash, password)
  } catch {
    return false
  }
}

/** A Rackspace-style API key: 32 lowercase hex digits (128 bits). */
export function generateApiKey (): string {
  return randomHex(16)
}

export function hashApiKey (apiKey: string): Buffer {
  return sha256(apiKey)
}

const NO_KEY = Buffer.alloc(32)

/** Constant-time check of an API key against its stored SHA-256; compares against zeros when none is stored. */
export function verifyApiKey (storedHash: Uint8Array | null | undefined, apiKey: string): boolean {
  const matches = constantTimeEqual(Buffer.from(storedHash ?? NO_KEY), hashApiKey(apiKey))
  return Boolean(storedHash) && matches
}
