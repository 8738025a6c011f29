import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROBLEMS, type ProblemNumber } from '../../../src/families/astra/dialect.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { expectValid } from './astra-schemas.js'
import { call, collectionPath, createToken, newCaller, TOKEN_MEDIA, tokenBody, tokenPath } from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

describe('responses against Astra\'s published token schemas (§B0)', () => {
  it('POST, GET-one and GET-list validate against token_1.0_post/get/list_response_body', async () => {
    const caller = await newCaller(t.app)
    const created = await call(t.app, caller.token, 'POST', collectionPath(caller.accountId, caller.userId), tokenBody('Snapshot Script', {
      metadata: { labels: [{ name: 'team', value: 'storage' }] }
    }), { accept: TOKEN_MEDIA })
    expect(created.statusCode).toBe(201)
    expectValid('token_1.0_post_response_body', created.json())

    const id = created.json().id
    const one = await call(t.app, caller.token, 'GET', tokenPath(caller.accountId, caller.userId, id))
    expectValid('token_1.0_get_response_body', one.json())

    await call(t.app, caller.token, 'PUT', tokenPath(caller.accountId, caller.userId, id), tokenBody('renamed'))
    expectValid('token_1.0_get_response_body', (await call(t.app, caller.token, 'GET', tokenPath(caller.accountId, caller.userId, id))).json())

    await createToken(t.app, caller, 'second')
    for (const query of ['', '?limit=1&count=true', '?include=id,name', '?include=metadata&orderBy=name%20desc']) {
      const listed = await call(t.app, caller.token, 'GET', `${collectionPath(caller.accountId, caller.userId)}${query}`)
      expect(listed.statusCode).toBe(200)
      expectValid('token_1.0_list_response_body', listed.json())
    }
  })

  it('request bodies the tests send are valid token_1.0_post/put_request_body', () => {
    expectValid('token_1.0_post_request_body', tokenBody('Snapshot Script'))
    expectValid('token_1.0_put_request_body', tokenBody('New Token Name'))
  })

  it('problem bodies validate against astra_problem_detail_N', async () => {
    const caller = await newCaller(t.app)
    const other = await newCaller(t.app)
    const path = collectionPath(caller.accountId, caller.userId)
    const token = await createToken(t.app, caller)
    const cases: Array<[ProblemNumber, () => Promise<any>]> = [
      [1, () => call(t.app, caller.token, 'DELETE', `${path}/${randomUUID()}`)],
      [2, () => call(t.app, caller.token, 'GET', collectionPath(randomUUID(), caller.userId))],
      [3, () => call(t.app, undefined, 'GET', path)],
      [4, () => call(t.app, Buffer.alloc(32).toString('base64'), 'GET', path)],
      [5, () => call(t.app, caller.token, 'GET', `${path}?limit=0`)],
      [6, () => call(t.app, caller.token, 'GET', `${path}?foo=bar`)],
      [7, () => call(t.app, caller.token, 'POST', path, '{', { 'content-type': 'application/json' })],
      [8, () => call(t.app, caller.token, 'POST', path, { name: 'x' })],
      [9, () => call(t.app, caller.token, 'POST', path, tokenBody('<x>'))],
      [10, () => call(t.app, caller.token, 'PUT', `${path}/${token.id}`, tokenBody('x', { id: randomUUID() }))],
      [11, () => call(t.app, other.token, 'GET', path)]
    ]
    for (const [number, request] of cases) {
      const response = await request()
      expect(response.statusCode).toBe(Number(PROBLEMS[number][0]))
      expectValid(`astra_problem_detail_${number}`, response.json())
    }
  })
})

describe('Astra tokens in the OpenAPI document', () => {
  it('documents the five operations with their schemas, examples, problem replies and the bearer scheme', async () => {
    const document = (await t.app.inject({ url: '/openapi.json' })).json()
    expect(document.components.securitySchemes.astraApiToken).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(document.tags).toContainEqual({ name: 'astra', description: 'NetApp Astra Control user API tokens' })
    const collection = document.paths['/accounts/{account_id}/core/v1/users/{user_id}/tokens']
    const one = document.paths['/accounts/{account_id}/core/v1/users/{user_id}/tokens/{token_id}']
    const expected: Array<[any, string, string, string[]]> = [
      [collection.post, 'createUserToken', '201', ['400', '401', '403', '404', '409', '413', '429', '500', '503']],
      [collection.get, 'listUserTokens', '200', ['400', '401', '403', '404', '429', '500', '503']],
      [one.get, 'getUserToken', '200', ['400', '401', '403', '404', '429', '500', '503']],
      [one.put, 'replaceUserToken', '204', ['400', '401', '403', '404', '409', '412', '413', '429', '500', '503']],
      [one.delete, 'deleteUserToken', '204', ['400', '401', '403', '404', '429', '500', '503']]
    ]
    for (const [operation, operationId, success, errors] of expected) {
      expect(operation.operationId).toBe(operationId)
      expect(operation.tags).toEqual(['astra'])
      expect(operation.security).toEqual([{ astraApiToken: [] }])
      expect(Object.keys(operation.responses).sort()).toEqual([success, ...errors].sort())
      const problems: any = Object.values(operation.responses['401'].content)[0]
      expect(problems.examples.example1.value.type).toBe('https://astra.netapp.io/problems/3')
      expect(problems.examples.example2.value.type).toBe('https://astra.netapp.io/problems/4')
    }
    expect(Object.keys(collection.post.requestBody.content)).toEqual([TOKEN_MEDIA, 'application/json'])
    expect(collection.post.requestBody.content['application/json'].example).toEqual(tokenBody('Snapshot Script'))
    const created: any = Object.values(collection.post.responses['201'].content)[0]
    expect(created.example.token).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(collection.post.responses['201'].headers.Location).toBeDefined()
    expect(one.get.responses['200'].headers.ETag).toBeDefined()
    expect(collection.get.parameters.map((parameter: any) => parameter.name)).toEqual(
      expect.arrayContaining(['include', 'limit', 'skip', 'count', 'continue', 'filter', 'orderBy', 'account_id', 'user_id'])
    )
  })
})
