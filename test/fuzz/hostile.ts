import fc from 'fast-check'

/** Strings that have broken parsers, queries and renderers elsewhere. */
export const HOSTILE_STRINGS = [
  '', ' ', '0', '-1', '1e309', '9'.repeat(40), 'NaN', 'null', 'true', '[]', '{}', '__proto__', 'constructor',
  "' OR '1'='1", "'; DROP TABLE accounts; --", '" OR ""="', '1; select pg_sleep(5)', "\\'", '%', '%%', '%s%n',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}', '$' + '{jndi:ldap://x/a}', '../../etc/passwd',
  '..', '.', '\u0000', 'a\u0000b', '\u0001\u001f\u007f', '\r\nX-Injected: 1', '\t', '\u2028\u2029', '\u202e', '\ufeff',
  '\ud800', '\udfff', '💥', 'ǅ', 'İ', 'ß'.repeat(10), 'a'.repeat(300), 'a'.repeat(70_000), 'host/x', 'a:b:c', 'a,b', 'Token token=',
  '2050-12-31T23:59:59Z', '0000-00-00T00:00:00Z', '127.0.0.1', '::1', '0.0.0.0/0', '10.0.0.1/33'
]

/** Raw path segments the URL layer must survive: bad percent-escapes, invalid UTF-8, dot segments. */
export const RAW_SEGMENTS = ['%', '%zz', '%ff', '%c3%28', '%ed%a0%80', '%00', '%2e%2e', '%2F', '..', '.', ';a=b', '%252F', '%E2%80%AE', '*', '~', '@']

export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/) }
)

/** Any JSON value, some of them wrong in type for every field. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1.5, 1e308) }
)

/** Bodies no JSON parser or validator should choke on: deep, wide, huge, broken. */
export const pathologicalBody = fc.constantFrom(
  '['.repeat(20_000) + ']'.repeat(20_000),
  '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
  JSON.stringify({ auth: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])) }),
  JSON.stringify({ name: 'x'.repeat(1_100_000) }),
  JSON.stringify({ a: Array.from({ length: 50_000 }, () => 0) }),
  '{"a":1,"a":2}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}',
  '{', '}', '"', 'nul', '{"a":1}garbage', '\ufeff{}', '', ' ', '1', '[]', 'null', '"\\ud800"', '{"a":"\\u0000"}',
  'a=1&a=2&b[]=3&c[x][y]=4', 'cidr[]=127.0.0.1&cidr[]=' + '1'.repeat(5000), 'count=99999999999999999999&expiration=x'
)

/** Invalid UTF-8 and control bytes, sent as raw bytes. */
export const binaryBody = fc.oneof(
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc3, 0x28]), Buffer.from('{"name":"\xc3\x28"}', 'latin1'), Buffer.from('{"a":"\u0000"}'),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))
)

export const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/astra-token+json',
  'application/x-www-form-urlencoded', 'text/plain', 'text/html', 'application/xml', 'multipart/form-data; boundary=x',
  'application/octet-stream', 'a/b/c', ';;;', 'application/json; boundary=', '*/*', 'APPLICATION/JSON'
]

export const ACCEPTS = ['*/*', 'application/json', 'application/xml', 'text/html', 'application/x.secretsmgr.v2beta+json', 'application/astra-token+json', '', ';q=x']

/** Authorization headers that must be refused without ever being a 5xx. */
export const malformedAuth = fc.oneof(
  fc.constantFrom<Record<string, string>>(
    { authorization: 'Bearer' }, { authorization: 'Bearer ' }, { authorization: 'Bearer a b' }, { authorization: 'Token' },
    { authorization: 'Token token=' }, { authorization: 'Token token="' }, { authorization: 'Token token=""' }, { authorization: 'Token token="a"b"' },
    { authorization: 'Basic' }, { authorization: 'Basic !!!' }, { authorization: `Basic ${Buffer.from(':').toString('base64')}` },
    { authorization: `Basic ${Buffer.from('a'.repeat(5000)).toString('base64')}` }, { authorization: `Bearer ${'x'.repeat(8000)}` },
    { authorization: `Token token="${Buffer.from('{"payload":"x","signature":"y"}').toString('base64')}"` },
    { authorization: 'Digest username="a"' }, { 'x-auth-token': '' }, { 'x-auth-token': 'a'.repeat(8000) }, { 'x-auth-token': `${'0'.repeat(64)}` }
  ),
  hostileString.map((value) => ({ authorization: `Bearer ${value}` })),
  hostileString.map((value) => ({ 'x-auth-token': value })),
  hostileString.map((value) => ({ authorization: `Token token="${value}"` }))
)
