import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { constantTimeEqual, generateSecretKey, parseSecretKey, randomHex, randomUrlSafe, SecretBox, sha256 } from '../../src/core/secrets.js'

describe('parseSecretKey', () => {
  const key = randomBytes(32)

  it.each([
    ['lower-case hex', key.toString('hex')],
    ['upper-case hex', key.toString('hex').toUpperCase()],
    ['base64 with padding', key.toString('base64')],
    ['base64 without padding', key.toString('base64').replace(/=+$/, '')],
    ['base64url', key.toString('base64url')],
    ['base64 with surrounding whitespace (as read from a file)', `  ${key.toString('base64')}\n`]
  ])('accepts 32 bytes as %s', (_what, text) => {
    expect(parseSecretKey(text)).toEqual(key)
  })

  it('accepts base64url text that uses both of its own characters', () => {
    // 0xfb 0xff … encodes to "-_" runs in base64url and "+/" in base64.
    const awkward = Buffer.alloc(32, 0xfb)
    awkward[0] = 0xff
    const text = awkward.toString('base64url')
    expect(text).toMatch(/[-_]/)
    expect(parseSecretKey(text)).toEqual(awkward)
  })

  it('accepts the keys generateSecretKey makes, each different', () => {
    const first = generateSecretKey()
    const second = generateSecretKey()
    expect(first).not.toBe(second)
    expect(parseSecretKey(first)).toHaveLength(32)
    expect(parseSecretKey(second)).toHaveLength(32)
  })

  it.each([
    ['empty', ''],
    ['31 bytes of hex', randomBytes(31).toString('hex')],
    ['33 bytes of hex', randomBytes(33).toString('hex')],
    ['31 bytes of base64', randomBytes(31).toString('base64')],
    ['33 bytes of base64', randomBytes(33).toString('base64')],
    ['16 bytes of base64', randomBytes(16).toString('base64')],
    ['64 characters that are not hex', 'z'.repeat(64)],
    ['44 characters that are not base64', '*'.repeat(43) + '='],
    ['base64 with two padding characters', randomBytes(32).toString('base64').slice(0, 42) + '=='],
    ['hex with a space inside', key.toString('hex').slice(0, 32) + ' ' + key.toString('hex').slice(32)]
  ])('rejects %s', (_what, text) => {
    expect(parseSecretKey(text)).toBeNull()
  })
})

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32))

  it('opens what it sealed, with the same associated data', () => {
    const sealed = box.seal('agent-token-1234', 'agent_tokens:123:abc')
    expect(sealed[0]).toBe(1)
    // version (1) + iv (12) + tag (16) + ciphertext (as long as the plaintext)
    expect(sealed).toHaveLength(1 + 12 + 16 + 'agent-token-1234'.length)
    expect(sealed.includes(Buffer.from('agent-token-1234'))).toBe(false)
    expect(box.open(sealed, 'agent_tokens:123:abc')).toBe('agent-token-1234')
  })

  it('opens a Uint8Array copy, as PGlite returns bytea', () => {
    const sealed = box.seal('ünïcode ✓', 'row')
    expect(box.open(new Uint8Array(sealed), 'row')).toBe('ünïcode ✓')
  })

  it('seals the same value differently each time (fresh IV)', () => {
    const first = box.seal('same', 'row')
    const second = box.seal('same', 'row')
    expect(first.equals(second)).toBe(false)
    expect(first.subarray(1, 13).equals(second.subarray(1, 13))).toBe(false)
  })

  it('refuses other associated data', () => {
    const sealed = box.seal('secret', 'row-1')
    expect(() => box.open(sealed, 'row-2')).toThrow()
    expect(() => box.open(sealed, '')).toThrow()
  })

  it('refuses another key', () => {
    const sealed = box.seal('secret', 'row')
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'row')).toThrow()
  })

  it.each([
    ['the version byte', 0],
    ['the IV', 5],
    ['the tag', 20],
    ['the ciphertext', 30]
  ])('refuses a value with a flipped bit in %s', (_where, index) => {
    const sealed = box.seal('secret-value', 'row')
    sealed[index]! ^= 0x01
    expect(() => box.open(sealed, 'row')).toThrow()
  })

  it('refuses a truncated value', () => {
    const sealed = box.seal('secret-value', 'row')
    expect(() => box.open(sealed.subarray(0, sealed.length - 1), 'row')).toThrow()
    expect(() => box.open(sealed.subarray(0, 20), 'row')).toThrow()
  })

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(31))).toThrow(/32-byte/)
    expect(() => new SecretBox(randomBytes(33))).toThrow(/32-byte/)
  })
})

describe('random and hashing helpers', () => {
  it('randomHex and randomUrlSafe have the asked-for entropy and differ each call', () => {
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/)
    expect(randomUrlSafe(16)).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(randomHex(16)).not.toBe(randomHex(16))
  })

  it('sha256 is the SHA-256 of the UTF-8 text', () => {
    expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    // Text beyond ASCII is hashed as its UTF-8 bytes, and every byte of the digest survives.
    expect(sha256('é').toString('hex')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c')
  })

  it('constantTimeEqual compares contents and refuses different lengths without throwing', () => {
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true)
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false)
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false)
  })
})
