import { pbkdf2, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { verify as verifyArgon2 } from '@node-rs/argon2'
import { verify as verifyBcrypt } from '@node-rs/bcrypt'

/**
 * The password hash formats Tessera verifies: its own (argon2id), and those an import brings from
 * the system it replaces (argon2i, bcrypt, PBKDF2 as passlib and Django write it). Every
 * parameter that sets the cost of a verification is bounded: a hash is input, and a login must
 * not take minutes or gigabytes because an imported hash asks for them.
 */
export type ParsedPasswordHash =
  | { scheme: 'argon2', variant: 'argon2id' | 'argon2i', version: number, memoryCost: number, timeCost: number, parallelism: number }
  | { scheme: 'bcrypt', cost: number }
  | { scheme: 'pbkdf2', digest: 'sha256' | 'sha512', iterations: number, salt: Buffer, checksum: Buffer }

/**
 * The bounds (inclusive), documented in docs/import-export.md: each verification costs at
 * most a few times Tessera's own argon2id (m=19 MiB, t=2), about half a second on one core here,
 * so wrong guesses at imported users cannot hold the cores every login shares.
 */
export const PASSWORD_HASH_LIMITS = {
  argon2: { memoryCost: 65_536, timeCost: 4, parallelism: 8 },
  bcrypt: { minCost: 4, maxCost: 12 },
  pbkdf2: { iterations: 1_000_000 }
} as const

const ARGON2 = /^\$(argon2id|argon2i)\$(?:v=(16|19)\$)?m=([0-9]{1,7}),t=([0-9]{1,3}),p=([0-9]{1,3})\$[A-Za-z0-9+/]{11,128}\$[A-Za-z0-9+/]{16,256}$/
const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/
/** passlib: `$pbkdf2-sha256$rounds$salt$checksum`, salt and checksum in its "adapted base64" (`.` for `+`, no padding). */
const PASSLIB_PBKDF2 = /^\$pbkdf2-(sha256|sha512)\$([0-9]{1,8})\$([./A-Za-z0-9]{2,172})\$([./A-Za-z0-9]{43}|[./A-Za-z0-9]{86})$/
/** Django: `pbkdf2_sha256$iterations$salt$hash`, the salt as text, the hash in base64. */
const DJANGO_PBKDF2 = /^pbkdf2_sha256\$([0-9]{1,8})\$([A-Za-z0-9./+_-]{1,128})\$([A-Za-z0-9+/]{43}=)$/

const DIGEST_BYTES = { sha256: 32, sha512: 64 } as const

function adaptedBase64 (text: string): Buffer {
  return Buffer.from(text.replaceAll('.', '+'), 'base64')
}

function parseArgon2 (match: RegExpExecArray): ParsedPasswordHash | null {
  const [, variant, version, memory, time, lanes] = match
  const parsed = { memoryCost: Number(memory), timeCost: Number(time), parallelism: Number(lanes) }
  const limits = PASSWORD_HASH_LIMITS.argon2
  if (parsed.memoryCost > limits.memoryCost || parsed.timeCost < 1 || parsed.timeCost > limits.timeCost ||
    parsed.parallelism < 1 || parsed.parallelism > limits.parallelism) return null
  return { scheme: 'argon2', variant: variant as 'argon2id' | 'argon2i', version: version === '19' ? 0x13 : 0x10, ...parsed }
}

function pbkdf2Hash (digest: 'sha256' | 'sha512', iterations: number, salt: Buffer, checksum: Buffer): ParsedPasswordHash | null {
  if (iterations < 1 || iterations > PASSWORD_HASH_LIMITS.pbkdf2.iterations || checksum.length !== DIGEST_BYTES[digest]) return null
  return { scheme: 'pbkdf2', digest, iterations, salt, checksum }
}

/** What a stored hash is, or null for anything Tessera does not verify (unknown, malformed, or too costly). */
export function parsePasswordHash (text: string): ParsedPasswordHash | null {
  let match = ARGON2.exec(text)
  if (match) return parseArgon2(match)
  match = BCRYPT.exec(text)
  if (match) {
    const cost = Number(match[1])
    const { minCost, maxCost } = PASSWORD_HASH_LIMITS.bcrypt
    return cost >= minCost && cost <= maxCost ? { scheme: 'bcrypt', cost } : null
  }
  match = PASSLIB_PBKDF2.exec(text)
  if (match) return pbkdf2Hash(match[1] as 'sha256' | 'sha512', Number(match[2]), adaptedBase64(match[3]!), adaptedBase64(match[4]!))
  match = DJANGO_PBKDF2.exec(text)
  if (match) return pbkdf2Hash('sha256', Number(match[1]), Buffer.from(match[2]!, 'utf8'), Buffer.from(match[3]!, 'base64'))
  return null
}

const derive = promisify(pbkdf2)

/**
 * Whether `password` matches `stored`, which parsed as `parsed`. Runs on the libuv thread pool
 * (argon2, bcrypt and PBKDF2 alike); compares in constant time; false, never a throw, for a hash
 * its library refuses.
 */
export async function verifyParsedHash (parsed: ParsedPasswordHash, stored: string, password: string): Promise<boolean> {
  try {
    switch (parsed.scheme) {
      case 'argon2': return await verifyArgon2(stored, password)
      // bcrypt reads only the first 72 bytes of a password: a property of the hash the source
      // system made, kept only until the first login replaces it with argon2id.
      case 'bcrypt': return await verifyBcrypt(password, stored)
      case 'pbkdf2': {
        const derived = await derive(password, parsed.salt, parsed.iterations, parsed.checksum.length, parsed.digest)
        return timingSafeEqual(derived, parsed.checksum)
      }
    }
  } catch {
    return false
  }
}
