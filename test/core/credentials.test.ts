import { performance } from 'node:perf_hooks'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { generateApiKey, hashApiKey, PasswordHasher, verifyApiKey } from '../../src/core/credentials.js'
import { sha256 } from '../../src/core/secrets.js'

// Watches (never replaces) timingSafeEqual, to see that an API-key check always makes one comparison.
const watch = vi.hoisted(() => ({ timingSafeEqual: undefined as unknown as ReturnType<typeof vi.fn> }))
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  watch.timingSafeEqual = vi.fn(actual.timingSafeEqual)
  return { ...actual, timingSafeEqual: watch.timingSafeEqual }
})

const ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/

describe('passwords', () => {
  // The production hasher: OWASP's cost.
  const owasp = new PasswordHasher()
  const hashPassword = (password: string) => owasp.hash(password)
  const verifyPassword = (hash: string | null | undefined, password: string) => owasp.verify(hash, password)

  it('hashes with argon2id, OWASP parameters, a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery staple')
    const second = await hashPassword('correct horse battery staple')
    expect(first).toMatch(ARGON2ID)
    expect(second).toMatch(ARGON2ID)
    expect(first).not.toBe(second)
    expect(first).not.toContain('correct horse')
  })

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('pässwörd-ünïcode')
    expect(await verifyPassword(stored, 'pässwörd-ünïcode')).toBe(true)
    expect(await verifyPassword(stored, 'passwort-unicode')).toBe(false)
    expect(await verifyPassword(stored, '')).toBe(false)
  })

  it('refuses (without throwing) when there is no hash or the stored hash is malformed', async () => {
    expect(await verifyPassword(null, 'anything')).toBe(false)
    expect(await verifyPassword(undefined, 'anything')).toBe(false)
    expect(await verifyPassword('', 'anything')).toBe(false)
    expect(await verifyPassword('not-a-phc-string', 'anything')).toBe(false)
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$broken', 'anything')).toBe(false)
  })

  it('takes comparable time with no hash (unknown user) as with a real one', async () => {
    const stored = await hashPassword('the-real-password')
    await verifyPassword(null, 'warm-up') // the first call also makes the throwaway hash
    const timed = async (run: () => Promise<unknown>) => {
      const start = performance.now()
      await run()
      return performance.now() - start
    }
    const median = (times: number[]) => [...times].sort((a, b) => a - b)[2]!
    // Interleaved, so that a burst of load elsewhere slows both alike.
    const reals: number[] = []
    const dummies: number[] = []
    for (let i = 0; i < 5; i++) {
      reals.push(await timed(() => verifyPassword(stored, 'a-wrong-password')))
      dummies.push(await timed(() => verifyPassword(null, 'a-wrong-password')))
    }
    const real = median(reals)
    const dummy = median(dummies)
    expect(dummy).toBeGreaterThan(real / 3)
  })
})

describe('API keys', () => {
  beforeEach(() => { watch.timingSafeEqual.mockClear() })

  it('are 32 lower-case hex digits, different each time', () => {
    const key = generateApiKey()
    expect(key).toMatch(/^[0-9a-f]{32}$/)
    expect(generateApiKey()).not.toBe(key)
  })

  it('are stored as their SHA-256', () => {
    const key = generateApiKey()
    expect(hashApiKey(key)).toEqual(sha256(key))
    expect(hashApiKey(key)).toHaveLength(32)
  })

  it('verify against their hash, from a Buffer or a Uint8Array (PGlite)', () => {
    const key = generateApiKey()
    const stored = hashApiKey(key)
    expect(verifyApiKey(stored, key)).toBe(true)
    expect(verifyApiKey(new Uint8Array(stored), key)).toBe(true)
    expect(verifyApiKey(stored, generateApiKey())).toBe(false)
    expect(verifyApiKey(stored, key.toUpperCase())).toBe(false)
    expect(verifyApiKey(stored, '')).toBe(false)
  })

  it('make one constant-time comparison whether or not a hash is stored', () => {
    const key = generateApiKey()
    expect(verifyApiKey(hashApiKey(key), key)).toBe(true)
    expect(watch.timingSafeEqual).toHaveBeenCalledTimes(1)

    watch.timingSafeEqual.mockClear()
    expect(verifyApiKey(null, key)).toBe(false)
    expect(watch.timingSafeEqual).toHaveBeenCalledTimes(1)

    watch.timingSafeEqual.mockClear()
    expect(verifyApiKey(undefined, key)).toBe(false)
    expect(watch.timingSafeEqual).toHaveBeenCalledTimes(1)
  })

  it('never match with no hash stored, not even the key whose hash is all zeros would need', () => {
    // The stand-in compared against is 32 zero bytes; it must never count as a match.
    expect(verifyApiKey(null, '')).toBe(false)
    expect(verifyApiKey(Buffer.alloc(32), generateApiKey())).toBe(false)
  })
})
