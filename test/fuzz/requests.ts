import fc from 'fast-check'
import { familyOf } from './error-shapes.js'
import type { FuzzFixtures } from './fixtures.js'
import { conjurForm, conjurJsonParams, deepBody, HTTP_DATES, hostileBasic, percentEncoded as encode, queryValueFor } from './decoded-shapes.js'
import { ACCEPTS, anyJson, binaryBody, CONTENT_TYPES, hostileString, malformedAuth, pathologicalBody, RAW_SEGMENTS } from './hostile.js'
import type { Operation } from './operations.js'
import { schemaValue } from './schema-values.js'

export interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
  /** The operation it was generated from, for the report and the documented statuses. */
  operation: string
}

/** What Node's HTTP parser lets through in a header value; the rest goes over the raw socket. */
export const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')

/**
 * Parts that name fixtures are generated as functions of the fixtures, resolved when the request
 * is sent: the fuzzer renews its fixtures when a request it sent succeeded in deleting one.
 */
export type Resolved<T> = (fixtures: FuzzFixtures) => T
const fixed = <T>(value: T): Resolved<T> => () => value
const pick = <T>(list: (fixtures: FuzzFixtures) => readonly T[]) => fc.nat().map((index): Resolved<T> => (fixtures) => {
  const values = list(fixtures)
  return values[index % values.length]!
})

function pathValue (name: string, method: string): fc.Arbitrary<Resolved<string>> {
  const kind = /account|tenant/i.test(name) ? 'account' : /user|login/i.test(name) ? 'user' : /token|^id$|identifier|role|kind/i.test(name) ? 'token' : 'any'
  // The fixtures' own account and user, together: the path of a collection that exists. Less
  // often for changes, whose success makes the fuzzer renew its fixtures (slow).
  const own: Array<fc.WeightedArbitrary<Resolved<string>>> = kind === 'account' || kind === 'user'
    ? [{ weight: ['GET', 'HEAD', 'POST'].includes(method) ? 3 : 1, arbitrary: fc.constant((fixtures: FuzzFixtures) => encode(fixtures.ids[kind][0]!)) }]
    : []
  return fc.oneof(
    ...own,
    { weight: 3, arbitrary: pick((fixtures) => fixtures.ids[kind].map(encode)) },
    { weight: 2, arbitrary: pick((fixtures) => fixtures.ids.any.map(encode)) },
    { weight: 3, arbitrary: hostileString.map((value) => fixed(encode(value))) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((value) => fixed(value)) }
  )
}

/** A value for the query parameter `name`: hostile, a number, or what its decoding makes hostile (a cursor, a date). */
function queryValue (name: string): fc.Arbitrary<string> {
  const decoded = queryValueFor(name)
  const common = fc.oneof(hostileString, fc.integer({ min: -5, max: 2000 }).map(String))
  return decoded === null ? common : fc.oneof({ weight: 1, arbitrary: common }, { weight: 2, arbitrary: decoded })
}

function query (operation: Operation): fc.Arbitrary<string> {
  const others = fc.constantFrom('_', 'limit', 'marker', 'after', 'filter', 'belongsTo')
  // Mostly the operation's own parameters: those its handler decodes.
  const name = operation.query.length === 0 ? others : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...operation.query) }, { weight: 1, arbitrary: others })
  const pair = name.chain((chosen) => queryValue(chosen).map((value) => `${encode(chosen)}=${encode(value)}`))
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.join('&')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?a', '?a[b][c][d][e][f]=1', '?limit=%ff', '?limit=%zz', '?a=%00', `?x=${'a'.repeat(9000)}`, '?limit[]=1&limit[]=2') }
  )
}

/** The fixtures' host factory, as Conjur names it: with it, a body gets past the lookup to the values. */
const hostFactoryOf = (fixtures: FuzzFixtures) => fixtures.ids.token.find((id) => id.includes(':host_factory:'))!

function body (operation: Operation): fc.Arbitrary<Resolved<string | Buffer | undefined>> {
  const plausible = operation.body ? schemaValue(operation.body).map((value) => JSON.stringify(value)) : fc.constant(undefined)
  const form = fc.tuple(conjurForm, fc.boolean()).map(([rest, named]): Resolved<string> =>
    (fixtures) => named ? `host_factory=${encode(hostFactoryOf(fixtures))}&${rest}` : rest)
  const json = fc.tuple(conjurJsonParams, fc.boolean()).map(([params, named]): Resolved<string> =>
    (fixtures) => JSON.stringify(named ? { host_factory: hostFactoryOf(fixtures), ...params } : params))
  const fields = Object.keys((operation.body?.properties ?? {}) as Record<string, unknown>)
  return fc.oneof<Array<fc.WeightedArbitrary<Resolved<string | Buffer | undefined>>>>(
    { weight: 2, arbitrary: fc.constant(undefined).map((value) => fixed(value)) },
    { weight: 5, arbitrary: plausible.map((value) => fixed(value)) },
    { weight: 2, arbitrary: anyJson.map((value) => fixed(JSON.stringify(value))) },
    { weight: 1, arbitrary: pick((fixtures) => fixtures.logins.keystone.map((value) => JSON.stringify(value))) },
    { weight: 1, arbitrary: pick((fixtures) => fixtures.logins.basic) },
    { weight: 2, arbitrary: form },
    { weight: 2, arbitrary: json },
    { weight: 2, arbitrary: deepBody(fields).map((value) => fixed(value)) },
    { weight: 1, arbitrary: pathologicalBody.map((value) => fixed(value)) },
    { weight: 1, arbitrary: binaryBody.map((value) => fixed(value)) }
  )
}

/** Which of FuzzFixtures.credentialsOf a route accepts: its family's, but Conjur's host enrolment and logins take their own. */
function credentialGroupOf (path: string): string {
  if (path.startsWith('/host_factories/')) return 'conjur-hosts'
  if (path.startsWith('/authn/')) return 'conjur-logins'
  return familyOf(path)
}

function headers (operation: Operation): fc.Arbitrary<Resolved<Record<string, string>>> {
  const credentials = (fixtures: FuzzFixtures) => fixtures.credentials
  // Most requests carry a credential the route's API accepts, to get past authentication; fewer
  // deletions, as one that succeeds (a session's own DELETE /v2.0/tokens) renews the fixtures.
  const group = credentialGroupOf(operation.path)
  const accepted = (fixtures: FuzzFixtures) => fixtures.credentialsOf[group] ?? fixtures.credentials
  const credential = fc.oneof(
    { weight: 2, arbitrary: fc.constant({}).map((value) => fixed(value)) },
    { weight: operation.method === 'DELETE' ? 1 : 4, arbitrary: pick(accepted) },
    { weight: 2, arbitrary: pick(credentials) },
    { weight: 2, arbitrary: malformedAuth.map((value) => fixed(value)) },
    { weight: 1, arbitrary: hostileBasic.map((value) => fixed(value)) },
    // Two credentials at once, perhaps of different dialects.
    { weight: 1, arbitrary: fc.tuple(pick(credentials), pick(credentials)).map(([a, b]): Resolved<Record<string, string>> => (fixtures) => ({ ...b(fixtures), ...a(fixtures) })) }
  )
  const extra = fc.record({
    'content-type': fc.constantFrom(...CONTENT_TYPES),
    accept: fc.constantFrom(...ACCEPTS),
    'accept-encoding': fc.constantFrom('base64', 'gzip', 'identity', 'br;q=x'),
    'content-encoding': fc.constantFrom('gzip', 'deflate', 'x-unknown'),
    'if-match': fc.oneof(fc.constant('*'), hostileString),
    'if-unmodified-since': fc.constantFrom(...HTTP_DATES),
    'x-forwarded-for': fc.constantFrom('10.0.0.1', 'a, b, c', '::1', ''),
    [operation.headers[0] ?? 'x-fuzz']: hostileString
  }, { requiredKeys: [] })
  return fc.tuple(credential, extra).map(([auth, more]) => (fixtures) => Object.fromEntries(
    Object.entries({ ...more, ...auth(fixtures) }).map(([name, value]) => [name, headerSafe(value)])))
}

/** One request for `operation`: valid, nearly valid or hostile in each of its parts. */
export function requestFor (operation: Operation): fc.Arbitrary<Resolved<FuzzRequest>> {
  const segments = operation.path.split('/').map((segment) => {
    const name = /^\{(.+)\}$/.exec(segment)?.[1]
    return name === undefined ? fc.constant(fixed(segment)) : pathValue(name, operation.method)
  })
  return fc.record({
    path: fc.tuple(...segments),
    query: query(operation),
    headers: headers(operation),
    payload: body(operation),
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(operation.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'OPTIONS', 'DELETE', 'POST') })
  }).map(({ path, query, headers, payload, method }) => (fixtures) => {
    const content = payload(fixtures)
    return {
      method,
      url: path.map((part) => part(fixtures)).join('/') + query,
      headers: headers(fixtures),
      ...(content === undefined || method === 'GET' || method === 'HEAD' ? {} : { payload: content }),
      operation: `${operation.method} ${operation.path}`
    }
  })
}

/** Requests across every operation, in equal measure. */
export function anyRequest (operations: Operation[]): fc.Arbitrary<Resolved<FuzzRequest>> {
  return fc.oneof(...operations.map(requestFor))
}
