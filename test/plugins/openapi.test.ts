import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

interface Operation {
  tags?: string[]
  operationId?: string
  summary?: string
  security?: unknown[]
  parameters?: { in: string, name: string }[]
  requestBody?: unknown
  responses: Record<string, { description?: string, content?: Record<string, { schema?: unknown }> }>
}
interface Document {
  openapi: string
  tags: { name: string }[]
  paths: Record<string, Record<string, Operation>>
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options']
const CSV_TOO = new Set(['get /admin/v1/accounts/{accountId}/credentials', 'get /admin/v1/accounts/{accountId}/users/{userId}/credentials'])

let t: TestApp
let document: Document
let operations: { method: string, path: string, operation: Operation }[]
beforeAll(async () => {
  t = await setupTestApp()
  const response = await t.app.inject({ url: '/openapi.json' })
  expect(response.statusCode).toBe(200)
  document = response.json()
  operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([method, operation]) => ({ method, path, operation })))
})
afterAll(() => t.close())

/** Every (method, URL) the router knows, read from printRoutes' tree and checked with hasRoute. */
function registeredRoutes (): { method: string, url: string }[] {
  const routes: { method: string, url: string }[] = []
  const stack: { depth: number, path: string }[] = []
  for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
    // The tree's drawing comes first; its width is the node's depth. A node extends its parent's path.
    const depth = /^[│├└─ ]*/.exec(line)![0].length
    const match = /^(.+) \(([A-Z, ]+)\)$/.exec(line.slice(depth))
    if (!match) continue
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop()
    const path = (stack.at(-1)?.path ?? '') + match[1]
    stack.push({ depth, path })
    for (const method of match[2]!.split(', ')) routes.push({ method, url: path })
  }
  return routes
}

const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(document as unknown as Record<string, unknown>)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
    expect(document.openapi).toBe('3.1.0')
  })

  it('is served the same at /docs/json, for the explorer', async () => {
    const response = await t.app.inject({ url: '/docs/json' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(document)
  })

  it('gives every operation declared tags, a unique camelCase operationId and a summary', () => {
    expect(operations.length).toBeGreaterThan(10)
    const declaredTags = document.tags.map((tag) => tag.name)
    const seen = new Set<string>()
    for (const { method, path, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`
      expect(operation.tags?.length, where).toBeGreaterThan(0)
      for (const tag of operation.tags ?? []) expect(declaredTags, where).toContain(tag)
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/)
      expect(seen.has(operation.operationId!), `${where}: duplicate operationId ${operation.operationId}`).toBe(false)
      seen.add(operation.operationId!)
      expect(operation.summary?.trim(), where).toBeTruthy()
    }
  })

  it('gives every status of every operation a JSON schema (or, for bodiless answers, none at all; the hygiene report CSV as well; the export JSON lines)', () => {
    for (const { method, path, operation } of operations) {
      const statuses = Object.keys(operation.responses)
      expect(statuses.length, `${method} ${path}`).toBeGreaterThan(0)
      for (const status of statuses) {
        const where = `${method.toUpperCase()} ${path} ${status}`
        expect(status, where).toMatch(/^[1-5][0-9]{2}$/)
        const { content } = operation.responses[status]!
        if (content === undefined) {
          // 204, HEAD, Rackspace's 201 with only a Location header, and Conjur's 400, 403, 413 and 429 carry no body.
          const conjurEmpty = operation.tags?.includes('conjur') === true && ['400', '403', '413', '429'].includes(status)
          expect(status === '204' || status === '201' || method === 'head' || conjurEmpty, `${where} has no schema`).toBe(true)
        } else {
          // The hygiene report answers the same page as CSV too.
          const csvToo = CSV_TOO.has(`${method} ${path}`) && status === '200'
          // The export streams JSON lines, one JSON object each.
          const jsonLines = `${method} ${path}` === 'get /admin/v1/export' && status === '200'
          expect(Object.keys(content), where).toEqual(csvToo ? ['application/json', 'text/csv'] : jsonLines ? ['application/x-ndjson'] : ['application/json'])
          expect(content[jsonLines ? 'application/x-ndjson' : 'application/json']!.schema, where).toBeTypeOf('object')
        }
      }
    }
  })

  it('documents the errors every guarded or bodied operation can answer', () => {
    for (const { method, path, operation } of operations) {
      const statuses = Object.keys(operation.responses)
      const where = `${method.toUpperCase()} ${path}`
      if (operation.security) expect(statuses, `${where} needs a credential`).toEqual(expect.arrayContaining(['401', '503']))
      if (operation.requestBody) expect(statuses, `${where} takes a body`).toEqual(expect.arrayContaining(['400', '413']))
      // An API operation that can be unavailable can be refused by the request-rate limit too.
      if (statuses.includes('503') && operation.tags?.includes('operations') !== true) expect(statuses, `${where} is rate limited`).toContain('429')
    }
  })

  it('declares every path parameter', () => {
    for (const { method, path, operation } of operations) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
      const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name)
      expect(declared.sort(), `${method.toUpperCase()} ${path}`).toEqual(names.sort())
    }
  })
})

describe('the document and the router', () => {
  /**
   * The explorer and the document itself are not API operations (printRoutes shows /docs/* as
   * /docs*), nor is the Prometheus scrape (text, for Prometheus; see the README's Metrics).
   */
  const isDocsRoute = (url: string) => url === '/openapi.json' || url.startsWith('/docs') || url === '/metrics'

  it('reads the router correctly (every parsed route is one the app has)', () => {
    const routes = registeredRoutes()
    expect(routes.length).toBeGreaterThan(20)
    for (const route of routes.filter((route) => !isDocsRoute(route.url))) expect(t.app.hasRoute({ method: route.method as 'GET', url: route.url }), `${route.method} ${route.url}`).toBe(true)
    expect(routes).toContainEqual({ method: 'POST', url: '/v2.0/tokens' })
    expect(routes).toContainEqual({ method: 'GET', url: '/healthz' })
  })

  it('documents every registered route except automatic HEADs, the docs themselves and /metrics', () => {
    const routes = registeredRoutes()
    const gets = new Set(routes.filter((route) => route.method === 'GET').map((route) => route.url))
    const missing = routes
      .filter((route) => !isDocsRoute(route.url))
      // Fastify adds a HEAD twin to each GET; a HEAD with no GET beside it was written on purpose.
      .filter((route) => route.method !== 'HEAD' || !gets.has(route.url))
      .filter((route) => document.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()] === undefined)
      .map((route) => `${route.method} ${route.url}`)
    expect(missing).toEqual([])
  })

  it('documents the explicit HEAD /v2.0/tokens/{tokenId} (Keystone\'s token check)', () => {
    const head = document.paths['/v2.0/tokens/{tokenId}']?.head
    expect(head?.operationId).toBe('checkToken')
    expect(Object.keys(head?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '404', '503']))
  })

  it('documents only HEAD routes that were written on purpose', () => {
    const heads = operations.filter(({ method }) => method === 'head').map(({ path }) => path)
    expect(heads).toEqual(['/v2.0/tokens/{tokenId}'])
  })

  it('has a route for every documented operation', () => {
    for (const { method, path } of operations) {
      const url = path.replace(/\{(\w+)\}/g, ':$1')
      expect(t.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method.toUpperCase()} ${path}`).toBe(true)
    }
  })
})

describe('/docs', () => {
  it('serves the explorer from this server alone', async () => {
    const response = await t.app.inject({ url: '/docs' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toContain('<div id="swagger-ui"></div>')
    // The page may load scripts and styles only from here: no CDN, no external network.
    const assets = [...response.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
    expect(assets.length).toBeGreaterThanOrEqual(4)
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/docs\//)
      const fetched = await t.app.inject({ url: asset })
      expect(fetched.statusCode, asset).toBe(200)
      expect(fetched.body.length, asset).toBeGreaterThan(0)
    }
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/)
  })

  it('points the explorer at this server\'s document', async () => {
    const initializer = await t.app.inject({ url: '/docs/static/swagger-initializer.js' })
    expect(initializer.statusCode).toBe(200)
    expect(initializer.body).toContain("url: resolveUrl('./json')")
    // No call to validator.swagger.io, the explorer's default badge; links in comments are no requests.
    expect(initializer.body).toContain('validatorUrl: null')
    expect(initializer.body.replace(/\/\/[^\n]*/g, '')).not.toMatch(/https?:\/\//)
  })
})
