import { describe, expect, it } from 'vitest'
import { PasswordHasher } from '../../src/core/credentials.js'
import { parsePasswordHash } from '../../src/core/password-hashes.js'

describe('parsePasswordHash', () => {
  it('reads each supported format', () => {
    expect(parsePasswordHash('$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')).toEqual({ scheme: 'argon2', variant: 'argon2id', version: 0x13, memoryCost: 19456, timeCost: 2, parallelism: 1 })
    expect(parsePasswordHash(`$2a$12$${'a'.repeat(53)}`)).toEqual({ scheme: 'bcrypt', cost: 12 })
    expect(parsePasswordHash(`$pbkdf2-sha256$29000$c2FsdA$${'A'.repeat(43)}`)).toMatchObject({ scheme: 'pbkdf2', digest: 'sha256', iterations: 29000 })
    expect(parsePasswordHash(`pbkdf2_sha256$870000$salt$${'A'.repeat(43)}=`)).toMatchObject({ scheme: 'pbkdf2', digest: 'sha256', iterations: 870000 })
  })

  it('refuses what is unknown, malformed, or too costly to verify', () => {
    for (const hash of [
      '', 'plaintext', '$1$md5$hash', `$2x$10$${'a'.repeat(53)}`, '$2b$10$short',
      `$2b$13$${'a'.repeat(53)}`, `$2b$03$${'a'.repeat(53)}`,
      '$argon2id$v=19$m=65537,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      '$argon2id$v=19$m=19456,t=5,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      '$argon2id$v=19$m=19456,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      '$argon2d$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
      `$pbkdf2-sha256$1000001$c2FsdA$${'A'.repeat(43)}`, `$pbkdf2-sha256$0$c2FsdA$${'A'.repeat(43)}`,
      `$pbkdf2-sha256$1000$c2FsdA$${'A'.repeat(86)}`, `pbkdf2_sha1$1000$salt$${'A'.repeat(43)}=`,
      `pbkdf2_sha256$1000$sa$lt$${'A'.repeat(43)}=`
    ]) expect(parsePasswordHash(hash), hash).toBeNull()
  })
})

describe('PasswordHasher with stored hashes it cannot verify', () => {
  const hasher = new PasswordHasher({ memoryCost: 256, timeCost: 1 })

  it('answers false, never throws, for a malformed or unknown stored hash', async () => {
    for (const hash of ['$2b$04$broken', `$2b$04$${'!'.repeat(53)}`, '$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x']) {
      expect(await hasher.verify(hash, 'password')).toBe(false)
    }
  })

  it('asks for a rehash of anything but argon2id at its own cost', async () => {
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false)
    expect(hasher.needsRehash(await new PasswordHasher({ memoryCost: 512, timeCost: 1 }).hash('pw'))).toBe(true)
    expect(hasher.needsRehash(`$2b$04$${'a'.repeat(53)}`)).toBe(true)
    expect(hasher.needsRehash('garbage')).toBe(true)
  })
})
