import { describe, expect, it } from 'vitest'
import { InvalidCidr, normaliseCidr, withinRanges } from '../../../src/families/conjur/cidr.js'
import { formatWithOffset, parseIso8601 } from '../../../src/families/conjur/iso8601.js'
import { CONJUR_SECRET_FORMAT, conjurSecretOf, newConjurSecret } from '../../../src/families/conjur/secrets.js'

describe('Conjur secrets (spec §A5)', () => {
  it('are Crockford base32 (no i, l, o, u), at most 56 characters, mostly 53 to 56, all distinct', () => {
    const secrets = Array.from({ length: 2000 }, () => newConjurSecret())
    expect(new Set(secrets).size).toBe(secrets.length)
    for (const secret of secrets) {
      expect(secret).toMatch(CONJUR_SECRET_FORMAT)
      expect(secret).not.toMatch(/[ilou]/)
    }
    const lengths = secrets.map((secret) => secret.length)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(56)
    expect(lengths.filter((length) => length >= 53).length / lengths.length).toBeGreaterThan(0.8)
  })

  it('read the bytes as eight big-endian 32-bit integers, each in base 32 without padding', () => {
    expect(conjurSecretOf(Buffer.alloc(32))).toBe('00000000')
    expect(conjurSecretOf(Buffer.alloc(32, 0xff))).toBe('3zzzzzz'.repeat(8))
    // 32 is "10"; 0x12345678 is 938ljo in JavaScript's digits, 938nkr in Crockford's (l, j, o are 21, 19, 24).
    const bytes = Buffer.alloc(32)
    bytes.writeUInt32BE(32, 0)
    bytes.writeUInt32BE(0x12345678, 4)
    expect(conjurSecretOf(bytes)).toBe(`10938nkr${'0'.repeat(6)}`)
  })
})

describe('ISO 8601 as Ruby\'s DateTime.iso8601 reads it (spec §A1 step 7)', () => {
  it.each([
    ['2050-12-31T00:00:00Z', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['2050-12-31T00:00:00+02:00', '2050-12-30T22:00:00.000Z', '2050-12-31T00:00:00+02:00'],
    ['2050-12-31T00:00:00-0530', '2050-12-31T05:30:00.000Z', '2050-12-31T00:00:00-05:30'],
    ['2050-12-31T00:00:00', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['2050-12-31T00:00:00.123456', '2050-12-31T00:00:00.123Z', '2050-12-31T00:00:00+00:00'],
    ['2050-12-31', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['20501231T000000Z', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['2050-12-31T00:00Z', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['2050-365', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['2050-W01-1', '2050-01-03T00:00:00.000Z', '2050-01-03T00:00:00+00:00'],
    ['2050-12-31T24:00:00', '2051-01-01T00:00:00.000Z', '2051-01-01T00:00:00+00:00'],
    ['\t2050-12-31T00:00:00Z\n', '2050-12-31T00:00:00.000Z', '2050-12-31T00:00:00+00:00'],
    ['20501231T0000+0200', '2050-12-30T22:00:00.000Z', '2050-12-31T00:00:00+02:00']
  ])('%s is %s, printed %s', (text, instant, printed) => {
    const parsed = parseIso8601(text)!
    expect(parsed.instant.toISOString()).toBe(instant)
    expect(formatWithOffset(parsed)).toBe(printed)
  })

  it.each(['2050-12-31 00:00:00', '', 'free text', '2050-02-30', '2050-12-31T25:00:00', '2050-12-31T10:60', '2050-12-31T10:00:00+24:00', '2050-W54-1', '2049-366', '2050-12-31T10', '2050-12-31T10Z', '2050-12-31T0000', '20501231T00:00', '20501231T00', '20501231T0000+02:00'])('%j is refused', (text) => {
    expect(parseIso8601(text)).toBeNull()
  })
})

describe('CIDR entries (spec §A1 step 9, §A5)', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1/32'], ['10.0.0.0/8', '10.0.0.0/8'], ['0.0.0.0/0', '0.0.0.0/0'], ['::1', '::1/128'], ['2001:DB8::/32', '2001:db8::/32']
  ])('%s → %s', (entry, normalised) => {
    expect(normaliseCidr(entry)).toBe(normalised)
  })

  it.each([['10.0.0.1/24', '10.0.0.0/24'], ['10.1.2.3/255.255.0.0', '10.1.0.0/16'], ['2001:db8::1/32', '2001:db8::/32']])('%s suggests %s', (entry, suggestion) => {
    expect(() => normaliseCidr(entry)).toThrow(new InvalidCidr(entry, suggestion))
  })

  it.each(['10.0.0.0/255.0.255.0', 'fe80::1%eth0', '1.2.3', '1.2.3.4/', '1.2.3.4/-1', '::/129', '10.0.0.0/08', '10.0.0.0/024', '::/00', 42])('%j is invalid', (entry) => {
    expect(() => normaliseCidr(entry)).toThrow(InvalidCidr)
  })

  it('an IPv4 range never holds an IPv6 address, ::ffff:a.b.c.d included; an empty list holds everything', () => {
    expect(withinRanges('127.0.0.1', ['127.0.0.0/8'])).toBe(true)
    expect(withinRanges('::ffff:127.0.0.1', ['127.0.0.0/8'])).toBe(false)
    expect(withinRanges('2001:db8::5', ['2001:db8::/32'])).toBe(true)
    expect(withinRanges('not-an-ip', ['0.0.0.0/0'])).toBe(false)
    expect(withinRanges('anything', [])).toBe(true)
  })
})
