import fc from 'fast-check'
import type { FuzzFixtures } from './fixtures.js'
import { HOSTILE_STRINGS, RAW_SEGMENTS } from './hostile.js'
import type { Operation } from './operations.js'

export interface RawRequest {
  bytes: Buffer
  /** The request target's path as sent, for the family whose dialect must answer. */
  path: string
  method: string
}

/** Bytes Node's HTTP parser refuses, or passes on to the app, in a URL or a header. */
const RAW_BYTES = [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1f, 0x7f, 0x80, 0xc3, 0xff, 0x20, 0x09, 0x0a, 0x0d, 0x22, 0x25, 0x3f, 0x23]
const rawByteString = fc.array(fc.oneof(fc.constantFrom(...RAW_BYTES), fc.integer({ min: 0x21, max: 0x7e })), { maxLength: 12 })
  .map((bytes) => Buffer.from(bytes).toString('latin1'))

const token = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS.filter((value) => value.length < 200)), rawByteString)

/** Header lines, some of them malformed: no colon, bad names, folding, duplicates, oversized. */
const headerLine = (fixtures: FuzzFixtures) => fc.oneof(
  fc.tuple(fc.constantFrom('X-Auth-Token', 'Authorization', 'Content-Type', 'Accept', 'X-Fuzz', 'Host'), token).map(([name, value]) => `${name}: ${value}`),
  fc.constantFrom(...fixtures.credentials.map((credential) => Object.entries(credential).map(([name, value]) => `${name}: ${value}`).join('\r\n'))),
  fc.constantFrom('no colon here', ': empty name', 'Bad Name: x', 'X-A\u0000b: 1', ' folded: continuation', 'X-Folded: a\r\n b',
    'Content-Length: 5\r\nContent-Length: 6', 'Content-Length: -1', 'Content-Length: abc', 'Transfer-Encoding: chunked, identity',
    'Transfer-Encoding: xchunked', `X-Huge: ${'a'.repeat(20_000)}`, `Authorization: Bearer ${'b'.repeat(17_000)}`,
    'Expect: 100-continue', 'Upgrade: h2c', 'Connection: upgrade')
)

/** A whole request: a request line over a real operation's path, mangled headers, some body. */
export function rawRequest (operations: Operation[], fixtures: FuzzFixtures): fc.Arbitrary<RawRequest> {
  const path = fc.constantFrom(...operations.map((operation) => operation.path)).chain((template) => {
    const parts = template.split('/').map((segment) => /^\{.+\}$/.test(segment)
      ? fc.oneof(fc.constantFrom(...fixtures.ids.any.map(encodeURIComponent), ...RAW_SEGMENTS), rawByteString)
      : fc.constant(segment))
    return fc.tuple(...parts).map((segments) => segments.join('/'))
  })
  return fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS', 'get', 'G\u0000T', 'BREW', 'CONNECT', 'TRACE'),
    // CONNECT names a host and port (RFC 9110 §9.3.6), which no family owns.
    path: fc.oneof({ weight: 9, arbitrary: path }, { weight: 1, arbitrary: fc.constantFrom('example.com:443', 'localhost:80', '[::1]:22') }),
    query: fc.oneof(fc.constant(''), rawByteString.map((value) => `?q=${value}`)),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', ''),
    headers: fc.array(headerLine(fixtures), { maxLength: 4 }),
    body: fc.oneof(fc.constant(''), fc.constantFrom('{"a":1}', '0\r\n\r\n', 'a'.repeat(100)), rawByteString)
  }).map(({ method, path, query, version, headers, body }) => ({
    method,
    path,
    bytes: Buffer.from(`${method} ${path}${query} ${version}\r\nHost: localhost\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`, 'latin1')
  }))
}
