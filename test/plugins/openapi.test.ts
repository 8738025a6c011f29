import { createConfig, lintFromString } from '@redocly/openapi-core'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registeredRoutes } from '../helpers/registered-routes.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

interface Media { schema?: Schema, example?: unknown, examples?: Record<string, { value: unknown }> }
interface Schema { [keyword: string]: unknown, examples?: unknown[], required?: string[], properties?: Record<string, Schema>, anyOf?: Schema[], type?: string | string[] }
interface Operation {
  tags?: string[]
  operationId?: string
  summary?: string
  description?: string
  security?: unknown[]
  parameters?: ({ in: string, name: string, required?: boolean } & Media)[]
  requestBody?: { content?: Record<string, Media> }
  responses: Record<string, { description?: string, content?: Record<string, Media> }>
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

/** How many examples a parameter or media type shows: its own, and its schema's. */
const examplesOf = (media: Media | undefined) => media === undefined
  ? 0
  : (media.example === undefined ? 0 : 1) + Object.keys(media.examples ?? {}).length + (media.schema?.examples?.length ?? 0)

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
      if (operation.security?.length) expect(statuses, `${where} needs a credential`).toEqual(expect.arrayContaining(['401', '503']))
      if (operation.requestBody) expect(statuses, `${where} takes a body`).toEqual(expect.arrayContaining(['400', '413']))
      // An API operation that can be unavailable can be refused by the request-rate limit too.
      if (statuses.includes('503') && operation.tags?.includes('operations') !== true) expect(statuses, `${where} is rate limited`).toContain('429')
    }
  })

  it('passes Redocly\'s recommended OpenAPI lint with no error and no warning but those explained', async () => {
    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        // Keystone's version discovery answers 300 Multiple Choices, as the original does: no 2xx.
        'operation-2xx-response': 'off'
      }
    })
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: '/openapi.json', config })
    // The probes answer under pressure and are not rate limited: they have no 4xx to document.
    const explained = (pointer: string | undefined, rule: string) => rule === 'operation-4xx-response' && /^#\/paths\/~1(healthz|readyz)\/get\/responses$/.test(pointer ?? '')
    const reported = problems
      .filter((problem) => !explained(problem.location[0]?.pointer, problem.ruleId))
      .map((problem) => `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`)
    expect(reported).toEqual([])
    // The explained warnings are still there: they would be stale otherwise.
    expect(problems.length).toBe(2)
  })

  it('gives every operation a summary, a description and an example of what it takes and answers', () => {
    const missing: string[] = []
    const need = (present: unknown, what: string) => { if (!present) missing.push(what) }
    for (const { method, path, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`
      need(operation.summary?.trim(), `${where}: summary`)
      need(operation.description?.trim(), `${where}: description`)
      const body = operation.requestBody?.content?.['application/json']
      if (body) need(examplesOf(body), `${where}: request example`)
      const success = Object.keys(operation.responses).find((status) => status < '400')!
      const answer = operation.responses[success]?.content?.['application/json']
      if (answer) need(examplesOf(answer), `${where} ${success}: response example`)
      // Neither takes nor answers a body: its path parameters carry the example to try.
      if (!body && !answer) {
        for (const parameter of (operation.parameters ?? []).filter((parameter) => parameter.in === 'path')) {
          need(examplesOf(parameter), `${where}: example of ${parameter.name}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('gives no optional query parameter an example: the explorer would fill it in and send it', () => {
    const prefilled = operations.flatMap(({ method, path, operation }) => (operation.parameters ?? [])
      .filter((parameter) => parameter.in === 'query' && parameter.required !== true && examplesOf(parameter) > 0)
      .map((parameter) => `${method.toUpperCase()} ${path} ${parameter.name}`))
    expect(prefilled).toEqual([])
  })

  it('has only examples valid against their schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(ajv)
    let checked = 0
    const check = (schema: Schema, example: unknown, where: string) => {
      const validate = ajv.compile(schema)
      expect(validate(example), `${where}: ${JSON.stringify(example)} ${ajv.errorsText(validate.errors)}`).toBe(true)
      checked++
    }
    /** A schema's own `examples`, then those of every subschema within it. */
    const walk = (schema: Schema, where: string): void => {
      for (const example of schema.examples ?? []) check(schema, example, where)
      for (const [name, property] of Object.entries(schema.properties ?? {})) walk(property, `${where}.${name}`)
      for (const [index, branch] of (schema.anyOf ?? []).entries()) walk(branch, `${where}|${index}`)
      if (typeof schema.items === 'object' && schema.items !== null) walk(schema.items as Schema, `${where}[]`)
    }
    const media = (item: Media, where: string) => {
      if (item.schema === undefined) return
      walk(item.schema, where)
      if (item.example !== undefined) check(item.schema, item.example, where)
      for (const [name, example] of Object.entries(item.examples ?? {})) check(item.schema, example.value, `${where} (${name})`)
    }
    for (const { method, path, operation } of operations) {
      const where = `${method.toUpperCase()} ${path}`
      for (const parameter of operation.parameters ?? []) media(parameter, `${where} ${parameter.in} ${parameter.name}`)
      for (const [type, item] of Object.entries(operation.requestBody?.content ?? {})) media(item, `${where} body ${type}`)
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, item] of Object.entries(response.content ?? {})) media(item, `${where} ${status} ${type}`)
      }
    }
    expect(checked).toBeGreaterThan(100)
  })

  it('documents each operation\'s errors in its family\'s dialect, 429 and 503 included', () => {
    /** A body's shape: its required keys, an object's own in braces; a union's branches joined by `|`. */
    const shape = (schema: Schema | undefined): string => {
      if (schema === undefined) return 'empty'
      if (schema.anyOf) return schema.anyOf.map(shape).sort().join('|')
      if (schema.type === 'null' || schema.type === 'string') return String(schema.type)
      return (schema.required ?? []).slice().sort()
        .map((key) => schema.properties?.[key]?.type === 'object' ? `${key}{${shape(schema.properties[key])}}` : key).join(',')
    }
    const TESSERA = 'code,message,statusCode'
    const dialects: Record<string, string[]> = {
      identity: ['error{code,message,title}'],
      'agent-tokens': ['code,details,message,txnId,type'],
      astra: ['correlationID,detail,status,title,type'],
      admin: [TESSERA],
      operations: [TESSERA],
      // Conjur answers some errors with no body at all, a 401 sometimes with text, others as
      // `{error: {code, message}}` or, under its v2 media type, `{code, message}`; key rotation's
      // 401 may be any of the first three (credentials#rotate_api_key explains a weak credential).
      conjur: ['empty', 'null', 'null|string', 'code,message|error{code,message}', 'error{code,message}|null|string']
    }
    for (const { method, path, operation } of operations) {
      const tag = operation.tags![0]!
      const where = `${method.toUpperCase()} ${path}`
      const errors = Object.keys(operation.responses).filter((status) => status >= '400')
      // Every API route can be refused by the request rate and shed under load; the probes cannot.
      if (tag !== 'operations') expect(errors, where).toEqual(expect.arrayContaining(['429', '503']))
      for (const status of errors) {
        expect(dialects[tag], `${where}: ${tag} has a dialect here`).toBeDefined()
        expect(dialects[tag], `${where} ${status}`).toContain(shape(operation.responses[status]!.content?.['application/json']?.schema))
      }
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
   * /docs*), nor is the Prometheus scrape (text, for Prometheus; see docs/operations.md, Metrics).
   */
  const isDocsRoute = (url: string) => url === '/openapi.json' || url.startsWith('/docs') || url === '/metrics'

  it('reads the router correctly (every parsed route is one the app has)', () => {
    const routes = registeredRoutes(t.app)
    expect(routes.length).toBeGreaterThan(20)
    for (const route of routes.filter((route) => !isDocsRoute(route.url))) expect(t.app.hasRoute({ method: route.method as 'GET', url: route.url }), `${route.method} ${route.url}`).toBe(true)
    expect(routes).toContainEqual({ method: 'POST', url: '/v2.0/tokens' })
    expect(routes).toContainEqual({ method: 'GET', url: '/healthz' })
  })

  it('documents every registered route except automatic HEADs, the docs themselves and /metrics', () => {
    const routes = registeredRoutes(t.app)
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
