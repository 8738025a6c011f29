import { schemaErrors } from './schema-registry.js'

/** A response as the checks see it, whether app.inject or a socket produced it. */
export interface Observed {
  method: string
  /** The request's path, normalised by the family where its original does (Keystone's trailing slash). */
  path: string
  query: URLSearchParams
  requestHeaders: Record<string, string | string[] | undefined>
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}

/** What one response must be: no body, a JSON body valid against a schema, or text. */
export type Expectation =
  | { body: 'empty' }
  | { body: 'json', ref: string, mediaType: RegExp, also?: (json: any, observed: Observed) => string[] }
  | { body: 'text', ref?: string, mediaType: RegExp, oneOf?: string[], base64Json?: string }
  /** An operation no published document describes, named in the family's allow-list. */
  | { body: 'unchecked', why: string }

/** A family's contract: whether it owns a path, and what a response to a request must be (or why it is wrong). */
export interface FamilyContract {
  name: string
  owns (path: string): boolean
  expect (observed: Observed): Expectation | string
}

/** The path as Tessera's router reads it: doubled slashes and one trailing slash ignored (app.ts routerOptions). */
export function routedPath (path: string): string {
  return path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1')
}

/** A path template (`/v2.0/tokens/{tokenId}`) as an anchored pattern; a parameter is one segment. */
export function template (path: string): RegExp {
  const pattern = path.split(/\{[^}]+\}/).map((piece) => piece.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')
  return new RegExp(`^${pattern}$`)
}

export const JSON_MEDIA = /^application\/json(;|$)/
export const empty: Expectation = { body: 'empty' }
export const json = (ref: string, mediaType = JSON_MEDIA, also?: (json: any, observed: Observed) => string[]): Expectation => ({ body: 'json', ref, mediaType, also })

/** The status an error body repeats must be the response's (Keystone, Monitoring: an integer `code`). */
export const codeIsStatus = (body: any, observed: Observed) => body?.code === observed.status ? [] : [`/code ${JSON.stringify(body?.code)} is not the status ${observed.status}`]

/** Everything wrong with a response against its expectation; [] when it holds or the operation is allow-listed. */
export function violations (expectation: Expectation, observed: Observed): string[] {
  const contentType = String(observed.headers['content-type'] ?? '')
  switch (expectation.body) {
    case 'unchecked': return []
    case 'empty': return observed.body === '' ? [] : [`a body where none belongs: ${observed.body.slice(0, 200)}`]
    case 'text': {
      if (!expectation.mediaType.test(contentType)) return [`content-type ${contentType || '(none)'}, not ${expectation.mediaType}`]
      if (expectation.oneOf && !expectation.oneOf.includes(observed.body)) return [`text ${JSON.stringify(observed.body)} is none of ${JSON.stringify(expectation.oneOf)}`]
      if (expectation.base64Json) {
        try {
          return schemaErrors(expectation.base64Json, JSON.parse(Buffer.from(observed.body, 'base64').toString('utf8')))
        } catch {
          return [`not base64 of JSON: ${observed.body.slice(0, 200)}`]
        }
      }
      return expectation.ref ? schemaErrors(expectation.ref, observed.body) : []
    }
    case 'json': {
      if (!expectation.mediaType.test(contentType)) return [`content-type ${contentType || '(none)'}, not ${expectation.mediaType}`]
      let body: unknown
      try {
        body = JSON.parse(observed.body)
      } catch {
        return [`not JSON: ${observed.body.slice(0, 200)}`]
      }
      const errors = schemaErrors(expectation.ref, body)
      return errors.length > 0 ? errors : expectation.also?.(body, observed) ?? []
    }
  }
}
