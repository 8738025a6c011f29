import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

interface Response {
  description?: string
  headers?: Record<string, unknown>
  content?: Record<string, { schema: { properties?: Record<string, unknown>, required?: string[] }, example?: { type: string, code: number } }>
}

interface Operation {
  tags?: string[]
  operationId?: string
  summary?: string
  security?: unknown
  responses: Record<string, Response>
}

const EXPECTED: Record<string, { operationId: string, success: string, errors: string[] }> = {
  'post /v1.0/{tenantId}/agent_tokens': { operationId: 'createAgentToken', success: '201', errors: ['400', '401', '403', '413', '429', '500', '503'] },
  'get /v1.0/{tenantId}/agent_tokens': { operationId: 'listAgentTokens', success: '200', errors: ['400', '401', '403', '429', '500', '503'] },
  'get /v1.0/{tenantId}/agent_tokens/{tokenId}': { operationId: 'getAgentToken', success: '200', errors: ['401', '403', '404', '429', '500', '503'] },
  'put /v1.0/{tenantId}/agent_tokens/{tokenId}': { operationId: 'updateAgentToken', success: '204', errors: ['400', '401', '403', '404', '413', '429', '500', '503'] },
  'delete /v1.0/{tenantId}/agent_tokens/{tokenId}': { operationId: 'deleteAgentToken', success: '204', errors: ['400', '401', '403', '404', '413', '429', '500', '503'] }
}

describe('agent tokens in the OpenAPI document', () => {
  let t: TestApp
  let document: { paths: Record<string, Record<string, Operation>> }

  beforeAll(async () => {
    t = await setupTestApp()
    document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  })
  afterAll(() => t?.close())

  const operations = () => Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/v1.0/'))
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => [`${method} ${path}`, operation] as const))

  it('documents exactly the five operations, tagged agent-tokens, with ids, summaries and security', () => {
    expect(operations().map(([key]) => key).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const [key, operation] of operations()) {
      expect(operation.tags, key).toEqual(['agent-tokens'])
      expect(operation.operationId, key).toBe(EXPECTED[key]!.operationId)
      expect(operation.summary, key).toBeTruthy()
      expect(operation.security, key).toEqual([{ authToken: [] }])
    }
  })

  it('documents every status with the Monitoring error shape and the reply headers', () => {
    for (const [key, operation] of operations()) {
      const { success, errors } = EXPECTED[key]!
      expect(Object.keys(operation.responses).sort(), key).toEqual([success, ...errors].sort())
      for (const status of errors) {
        const { schema, example } = operation.responses[status]!.content!['application/json']!
        expect(example?.code, `${key} ${status} example`).toBe(Number(status))
        expect(Object.keys(schema.properties!), `${key} ${status}`).toEqual(['type', 'code', 'message', 'details', 'txnId'])
        expect(schema.required?.sort()).toEqual(['code', 'details', 'message', 'txnId', 'type'])
      }
      for (const status of [success, ...errors]) {
        expect(Object.keys(operation.responses[status]!.headers ?? {}), `${key} ${status}`)
          .toEqual(expect.arrayContaining(['X-Response-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Window', 'X-RateLimit-Type']))
      }
    }
    const created = document.paths['/v1.0/{tenantId}/agent_tokens']!.post!.responses['201']!
    expect(created.content).toBeUndefined()
    expect(Object.keys(created.headers!)).toEqual(expect.arrayContaining(['Location', 'X-Object-ID', 'Tessera-Credential-Accessor']))
    const token = document.paths['/v1.0/{tenantId}/agent_tokens/{tokenId}']!.get!.responses['200']!.content!['application/json']!.schema
    // Rackspace's three, and Tessera's non-secret handle (extra fields are harmless to its clients, spec §10.5).
    expect(Object.keys(token.properties!)).toEqual(['id', 'token', 'label', 'accessor'])
    const list = document.paths['/v1.0/{tenantId}/agent_tokens']!.get!.responses['200']!.content!['application/json']!.schema
    expect(Object.keys(list.properties!)).toEqual(['values', 'metadata'])
  })

  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json())
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
  })
})
