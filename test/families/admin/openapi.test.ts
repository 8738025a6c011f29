import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

interface Operation {
  tags?: string[]
  operationId?: string
  summary?: string
  security?: unknown
  parameters?: Array<{ in: string, name: string }>
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }
  responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown>, required?: string[] } }> }>
}

/** Each admin operation: its id, and the statuses it must document beyond its success. */
const EXPECTED: Record<string, { operationId: string, success: string, errors: string[] }> = {
  'post /admin/v1/accounts': { operationId: 'createAccount', success: '201', errors: ['400', '401', '403', '409', '413', '429', '503'] },
  'get /admin/v1/accounts': { operationId: 'listAccounts', success: '200', errors: ['400', '401', '403', '429', '503'] },
  'get /admin/v1/accounts/{accountId}': { operationId: 'getAccount', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'patch /admin/v1/accounts/{accountId}': { operationId: 'updateAccount', success: '200', errors: ['400', '401', '403', '404', '409', '413', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}': { operationId: 'deleteAccount', success: '204', errors: ['400', '401', '403', '404', '409', '413', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/users': { operationId: 'createUser', success: '201', errors: ['400', '401', '403', '404', '409', '413', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/users': { operationId: 'listUsers', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/users/{userId}': { operationId: 'getUser', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'patch /admin/v1/accounts/{accountId}/users/{userId}': { operationId: 'updateUser', success: '200', errors: ['400', '401', '403', '404', '409', '413', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/users/{userId}': { operationId: 'deleteUser', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/users/{userId}/api-key': { operationId: 'rotateApiKey', success: '200', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/users/{userId}/roles': { operationId: 'listUserRoles', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'put /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}': { operationId: 'grantRole', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/users/{userId}/roles/{role}': { operationId: 'revokeRole', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/host-factories': { operationId: 'createHostFactory', success: '201', errors: ['400', '401', '403', '404', '409', '413', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/host-factories': { operationId: 'listHostFactories', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/host-factories/{id}': { operationId: 'getHostFactory', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/host-factories/{id}': { operationId: 'deleteHostFactory', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/host-factories/{id}/permissions': { operationId: 'grantHostFactoryPrivilege', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/host-factories/{id}/permissions': { operationId: 'revokeHostFactoryPrivilege', success: '204', errors: ['400', '401', '403', '404', '413', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens': { operationId: 'listUserAstraTokens', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/users/{userId}/astra-tokens/{tokenId}': { operationId: 'revokeUserAstraToken', success: '204', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/audit-events': { operationId: 'listAuditEvents', success: '200', errors: ['400', '401', '403', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/credentials/{accessor}': { operationId: 'getCredential', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'delete /admin/v1/accounts/{accountId}/credentials/{accessor}': { operationId: 'revokeCredential', success: '204', errors: ['400', '401', '403', '404', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/users/{userId}/revoke-credentials': { operationId: 'revokeUserCredentials', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'post /admin/v1/accounts/{accountId}/hosts/{hostId}/revoke-credentials': { operationId: 'revokeHostCredentials', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/credentials': { operationId: 'reportAccountCredentials', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/accounts/{accountId}/users/{userId}/credentials': { operationId: 'reportUserCredentials', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/lookup/accounts/{ref}': { operationId: 'lookUpAccount', success: '200', errors: ['400', '401', '404', '429', '503'] },
  'get /admin/v1/lookup/users/{ref}': { operationId: 'lookUpUser', success: '200', errors: ['400', '401', '404', '429', '503'] },
  'get /admin/v1/users': { operationId: 'listAllUsers', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'get /admin/v1/users/{userId}/astra-tokens': { operationId: 'listUserAstraTokensOnEveryAccount', success: '200', errors: ['400', '401', '403', '404', '429', '503'] },
  'delete /admin/v1/users/{userId}/astra-tokens/{tokenId}': { operationId: 'revokeUserAstraTokenOnAnyAccount', success: '204', errors: ['400', '401', '403', '404', '429', '503'] },
  'post /admin/v1/retention/purge': { operationId: 'purgeRetained', success: '200', errors: ['400', '401', '403', '429', '503'] },
  'get /admin/v1/export': { operationId: 'exportEverything', success: '200', errors: ['401', '403', '429', '503'] },
  'post /admin/v1/import': { operationId: 'importEverything', success: '200', errors: ['400', '401', '403', '415', '429', '503'] }
}

const ERROR_BODY = { type: 'object', required: ['statusCode', 'code', 'message'] }

describe('admin API in the OpenAPI document', () => {
  let t: TestApp
  let paths: Record<string, Record<string, Operation>>

  beforeAll(async () => {
    t = await setupTestApp()
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    paths = response.json().paths
  })
  afterAll(() => t?.close())

  const adminOperations = () => Object.entries(paths)
    .filter(([path]) => path.startsWith('/admin/'))
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => [`${method} ${path}`, operation] as const))

  it('documents exactly the admin routes', () => {
    expect(adminOperations().map(([key]) => key).sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it.each(Object.entries(EXPECTED))('documents %s fully', (key, expected) => {
    const operation = Object.fromEntries(adminOperations())[key]!
    expect(operation.tags).toEqual(['admin'])
    expect(operation.operationId).toBe(expected.operationId)
    expect(operation.summary).toEqual(expect.any(String))
    expect(operation.security).toEqual([{ authToken: [] }, { bearer: [] }])
    expect(Object.keys(operation.responses).sort()).toEqual([expected.success, ...expected.errors].sort())
    for (const status of expected.errors) {
      expect(operation.responses[status]!.content!['application/json']!.schema).toMatchObject(ERROR_BODY)
    }
    const pathParams = [...key.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
    expect((operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name)).toEqual(pathParams)
  })

  it('documents the request bodies and the list queries', () => {
    const operations = Object.fromEntries(adminOperations())
    const bodyProperties = (key: string) => Object.keys(operations[key]!.requestBody!.content['application/json']!.schema.properties!).sort()
    expect(bodyProperties('post /admin/v1/accounts')).toEqual(['id', 'name'])
    expect(bodyProperties('patch /admin/v1/accounts/{accountId}')).toEqual(['enabled', 'name'])
    expect(bodyProperties('post /admin/v1/accounts/{accountId}/users')).toEqual(['email', 'enabled', 'name', 'password', 'roles'])
    expect(bodyProperties('patch /admin/v1/accounts/{accountId}/users/{userId}')).toEqual(['email', 'enabled', 'name', 'password'])
    for (const key of ['get /admin/v1/accounts', 'get /admin/v1/accounts/{accountId}/users']) {
      expect(operations[key]!.parameters!.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name).sort()).toEqual(['after', 'limit'])
    }
  })

  it('documents the hygiene report\'s filters, and its page as JSON and as CSV with a Link header', () => {
    const operations = Object.fromEntries(adminOperations())
    for (const key of ['get /admin/v1/accounts/{accountId}/credentials', 'get /admin/v1/accounts/{accountId}/users/{userId}/credentials']) {
      const operation = operations[key]!
      expect(operation.parameters!.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name).sort())
        .toEqual(['after', 'expiringDays', 'format', 'includeEnded', 'kind', 'limit', 'neverUsed', 'ownerDisabled', 'unusedDays'])
      const ok = operation.responses['200'] as { headers?: Record<string, unknown>, content?: Record<string, { schema: { properties?: Record<string, unknown>, type?: string } }> }
      expect(Object.keys(ok.content!)).toEqual(['application/json', 'text/csv'])
      expect(Object.keys(ok.content!['application/json']!.schema.properties!)).toEqual(['items', 'nextCursor'])
      expect(ok.content!['text/csv']!.schema.type).toBe('string')
      expect(Object.keys(ok.headers!)).toEqual(['link'])
    }
  })

  it('shows an API key only where one is issued, and never a password', () => {
    for (const [key, operation] of adminOperations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const text = JSON.stringify(response.content ?? {})
        expect(text, `${key} ${status}`).not.toMatch(/password|hash/i)
        const issuesKey = (key === 'post /admin/v1/accounts/{accountId}/users' && status === '201') ||
          (key === 'post /admin/v1/accounts/{accountId}/users/{userId}/api-key' && status === '200')
        expect(text.includes('"apiKey"'), `${key} ${status}`).toBe(issuesKey)
      }
    }
  })

  it('is a valid OpenAPI document', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const result = await new Validator().validate(document)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
  })
})
