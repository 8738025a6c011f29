import fc from 'fast-check'
import { hostileString } from './hostile.js'

/**
 * Values that are harmless as sent and hostile once a route decodes them: a base64 cursor whose
 * JSON holds a NUL, a form body whose `%00` becomes one, a Basic user name, JSON nested past the
 * stack, dates the calendar does not have. Each once answered 500.
 */

/** encodeURIComponent, with lone surrogates sent as U+FFFD as any UTF-8 encoder would. */
export function percentEncoded (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return encodeURIComponent(Buffer.from(value).toString())
  }
}

/** Text PostgreSQL cannot store: U+0000 and unpaired surrogates (which only a JSON escape can carry). */
export const UNSTORABLE = ['\u0000', 'a\u0000b', '\udfff', '\ud800', 'a\udfffb', 'host/a\u0000b']

export const hostileText = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...UNSTORABLE) }, { weight: 3, arbitrary: hostileString })

/** RFC 3339 and ISO 8601 edges, in kinds: leap seconds, days a month lacks, the ends of the range, odd offsets and spellings. */
const CALENDAR_KINDS = [
  ['2016-12-31T23:59:60Z', '2016-12-31T22:59:60-01:00', '2017-01-01T00:59:60+01:00', '2016-12-31T23:59:60+01:00', '2016-12-31T23:58:60Z', '2016-12-31T23:59:60.999Z'],
  ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2024-01-01T24:00:00Z', '2024-04-31T00:00:00Z', '2050-13-01T00:00:00Z', '0000-02-29'],
  ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00+01:00', '9999-12-31T23:59:59Z', '9999-12-31T24:00:00Z', '9999-12-31T23:59:59-23:59', '+275760-09-13T00:00:00Z', '-0001-01-01T00:00:00Z'],
  ['2024-01-01T00:00:00+24:00', '2024-01-01T00:00:00-00:60', '2024-01-01t00:00:00z', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00.1234567890123Z',
    '2050-W53-7', '2050-366', '20501231T240000Z', '2050-12-31T00:00:00+0100']
]
/** One edge, each kind as likely as the others. */
export const calendarEdge = fc.oneof(...CALENDAR_KINDS.map((kind) => fc.constantFrom(...kind)))

/** If-Unmodified-Since: HTTP-dates in each of the three forms, and text Date.parse reads but HTTP does not. */
export const HTTP_DATES = [
  'Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'Wed, 21 Oct 2015 07:28:00 GMT',
  'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 23:59:60 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT',
  'Mon, 01 Jan 0000 00:00:00 GMT', 'sun, 06 nov 1994 08:49:37 gmt', '1', '0', '-1', '2001', 'yesterday', '1994-11-06T08:49:37Z', '9'.repeat(20), ''
]

/** JSON of `levels` nested arrays. */
export const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

/** Just past the cap, and deep enough to have overflowed the stack. */
const DEPTHS = [65, 200, 10_000]

/** A body with JSON nested `levels` deep in one of the fields a route reads, e.g. Conjur's annotations. */
export function deepBody (fields: string[]): fc.Arbitrary<string> {
  const field = fc.constantFrom('annotations', 'auth', 'metadata', 'labels', 'name', 'cidr', ...fields)
  return fc.tuple(field, fc.constantFrom(...DEPTHS), fc.boolean()).map(([name, levels, inObject]) => inObject
    ? `{"id":"deep-host","${name}":{"a":${nested(levels)}}}`
    : `{"${name}":${nested(levels)}}`)
}

/**
 * An Astra `continue` value: base64 of a cursor's JSON, hostile in its order (o), filter (f) or
 * key (k), or nested too deep. JSON.stringify writes a lone surrogate as a `\udfff` escape.
 */
export const astraCursor: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      v: fc.constantFrom<unknown>(1, 1, 1, 2, '1'),
      o: fc.oneof(fc.constantFrom('', 'name', 'creationTimestamp desc', 'modificationTimestamp'), hostileText),
      f: fc.oneof(fc.constantFrom('', "name eq 'a'"), hostileText.map((text) => `name eq '${text}'`), calendarEdge.map((time) => `metadata.creationTimestamp gt '${time}'`)),
      k: fc.tuple(fc.oneof(hostileText, calendarEdge), hostileText)
    }).map((cursor) => JSON.stringify(cursor))
  },
  // Longer ones are refused for the URL's length before anything reads them.
  { weight: 1, arbitrary: fc.constantFrom(65, 1000).map((levels) => `{"v":1,"o":"","f":"","k":["x","y"],"d":${nested(levels)}}`) }
).map((json) => Buffer.from(json, 'utf8').toString('base64'))

/** What a value of a query parameter of this name is worth trying beyond hostile strings, or null. */
export function queryValueFor (name: string): fc.Arbitrary<string> | null {
  if (name === 'continue') return astraCursor
  if (name === 'since' || name === 'until' || name === 'expiration') return calendarEdge
  if (name === 'filter') return calendarEdge.map((time) => `metadata.creationTimestamp lt '${time}'`)
  return null
}

/** Percent-escapes that decode to a NUL, to invalid or unpaired UTF-8, or to nothing at all. */
const PERCENT_HOSTILE = ['%00', 'a%00b', '%ED%BF%BF', '%ED%A0%80', '%C0%80', '%', '%zz', '%E0%A4%A', '%2500', '%F4%90%80%80']

const formKey = fc.constantFrom('host_factory', 'expiration', 'count', 'cidr[]', 'id', 'annotations[x]', 'annotations[a%00]', 'annotations[%ED%BF%BF]',
  'a[b][c][d][e][f]', 'annotations[a][b][c][d]', 'annotations[][x]', 'cidr[][x]', '__proto__[x]', 'id%00')

/** A Conjur form body whose values and keys decode to hostile text. */
export const conjurForm: fc.Arbitrary<string> = fc.array(
  fc.tuple(formKey, fc.oneof(fc.constantFrom(...PERCENT_HOSTILE), calendarEdge.map(percentEncoded), hostileString.map(percentEncoded)))
    .map(([key, text]) => `${key}=${text}`),
  { minLength: 1, maxLength: 5 }
).map((parts) => parts.join('&'))

/** Conjur parameters as JSON: the expiration a calendar edge, the other values hostile. */
export const conjurJsonParams: fc.Arbitrary<Record<string, unknown>> = fc.record({
  expiration: fc.oneof(calendarEdge, hostileText),
  id: hostileText,
  count: fc.constantFrom<unknown>(1, '2', 0),
  annotations: fc.dictionary(hostileText, hostileText, { maxKeys: 3 }),
  cidr: fc.array(hostileText, { maxLength: 2 })
}, { requiredKeys: [] })

/** User names for HTTP Basic that a route decodes to NUL or unstorable text (Conjur's `host/` logins too). */
export const hostileBasic: fc.Arbitrary<Record<string, string>> = fc.tuple(
  fc.oneof(fc.constantFrom('a\u0000b', 'host/a\u0000b', '\u0000', 'host/\u0000', 'host/', 'a\udfffb', 'host/%00', 'user/a\u0000'), hostileText),
  fc.constantFrom('pw', '', 'a:b', 'x'.repeat(64))
).map(([name, secret]) => ({ authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}` }))
