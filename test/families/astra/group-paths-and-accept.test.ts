import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { negotiatedMediaType } from '../../../src/families/astra/accept.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, collectionPath, createToken, expectProblem, newCaller, TOKEN_MEDIA, tokenBody, tokenPath } from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

const groupCollection = (accountId: string, groupId: string, userId: string) => `/accounts/${accountId}/core/v1/groups/${groupId}/users/${userId}/tokens`

describe('group-scoped token paths (§B0): Tessera has no groups, so every group collection is problem 2', () => {
  it('answers each of the five operations with 404 problem 2 once authenticated, before the body or the query is read', async () => {
    const caller = await newCaller(t.app, ['admin'])
    const token = await createToken(t.app, caller)
    const collection = groupCollection(caller.accountId, randomUUID(), caller.userId)
    const requests: Array<[string, string, unknown, Record<string, string>]> = [
      ['POST', collection, tokenBody('via a group'), {}],
      // A body that would be problem 7, and a media type that would be problem 12: the collection is decided first.
      ['POST', collection, '{', { 'content-type': 'text/csv' }],
      ['GET', `${collection}?limit=0&nonsense=1`, undefined, {}],
      ['GET', `${collection}/${token.id}`, undefined, {}],
      ['PUT', `${collection}/${token.id}`, tokenBody('renamed'), {}],
      ['DELETE', `${collection}/${token.id}`, undefined, {}]
    ]
    for (const [method, url, payload, headers] of requests) {
      expectProblem(await call(t.app, caller.token, method as any, url, payload, headers), 2)
    }
    // Nothing happened to the user's own collection.
    const own = await call(t.app, caller.token, 'GET', tokenPath(caller.accountId, caller.userId, token.id))
    expect(own.statusCode).toBe(200)
    expect(own.json().name).toBe(token.name)
  })

  it('answers without a credential with problem 3 and with a wrong one with problem 4, as the user paths do', async () => {
    const collection = groupCollection(randomUUID(), randomUUID(), randomUUID())
    expectProblem(await call(t.app, undefined, 'GET', collection), 3)
    expectProblem(await call(t.app, Buffer.alloc(32).toString('base64'), 'POST', collection, tokenBody('x')), 4)
    expect((await call(t.app, undefined, 'DELETE', `${collection}/${randomUUID()}`)).headers['www-authenticate']).toBe('Bearer')
  })

  it('documents the five twins in the OpenAPI document', async () => {
    const document = (await t.app.inject({ url: '/openapi.json' })).json()
    const collection = document.paths['/accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens']
    const one = document.paths['/accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens/{token_id}']
    expect([collection.post, collection.get, one.get, one.put, one.delete].map((operation: any) => operation.operationId))
      .toEqual(['createGroupUserToken', 'listGroupUserTokens', 'getGroupUserToken', 'replaceGroupUserToken', 'deleteGroupUserToken'])
    expect(Object.keys(one.put.responses)).toEqual(expect.arrayContaining(['401', '404']))
  })
})

describe('Accept with q-values (§B1, RFC 9110 §12.5.1)', () => {
  it('chooses the token media type only when named and weighing at least as much as JSON', () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'application/json'],
      ['', 'application/json'],
      ['*/*', 'application/json'],
      ['application/*', 'application/json'],
      [TOKEN_MEDIA, TOKEN_MEDIA],
      [`${TOKEN_MEDIA}; charset=utf-8`, TOKEN_MEDIA],
      ['APPLICATION/ASTRA-TOKEN+JSON', TOKEN_MEDIA],
      [`application/json, ${TOKEN_MEDIA}`, TOKEN_MEDIA],
      [`${TOKEN_MEDIA};q=0.5, application/json`, 'application/json'],
      [`application/json;q=0.4, ${TOKEN_MEDIA};q=0.5`, TOKEN_MEDIA],
      [`${TOKEN_MEDIA};q=0.5, */*;q=0.1`, TOKEN_MEDIA],
      [`${TOKEN_MEDIA};q=0.5, */*`, 'application/json'],
      [`${TOKEN_MEDIA};q=0.5, application/*;q=0.6`, 'application/json'],
      [`${TOKEN_MEDIA};q=0`, 'application/json'],
      [`${TOKEN_MEDIA};q=0, application/json;q=0`, 'application/json'],
      [`${TOKEN_MEDIA} ; Q=0.8`, TOKEN_MEDIA],
      // Not a qvalue (more than three decimals, above 1, not a number): the range is ignored.
      [`${TOKEN_MEDIA};q=0.5000`, 'application/json'],
      [`${TOKEN_MEDIA};q=2`, 'application/json'],
      [`${TOKEN_MEDIA};q=high, application/json;q=0.1`, 'application/json'],
      ['text/html', 'application/json']
    ]
    for (const [accept, expected] of cases) expect([accept, negotiatedMediaType(accept)]).toEqual([accept, expected])
  })

  it('answers POST, GET-one and the list in the negotiated type, and never refuses an Accept (no 406)', async () => {
    const caller = await newCaller(t.app)
    const path = collectionPath(caller.accountId, caller.userId)
    const created = await call(t.app, caller.token, 'POST', path, tokenBody('weighed'), { accept: `application/json;q=0.9, ${TOKEN_MEDIA}` })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.headers['content-type']).toBe(`${TOKEN_MEDIA}; charset=utf-8`)
    const one = tokenPath(caller.accountId, caller.userId, created.json().id)
    const weighedDown = await call(t.app, caller.token, 'GET', one, undefined, { accept: `${TOKEN_MEDIA};q=0.1, application/json` })
    expect(weighedDown.statusCode).toBe(200)
    expect(weighedDown.headers['content-type']).toBe('application/json; charset=utf-8')
    const listed = await call(t.app, caller.token, 'GET', path, undefined, { accept: `${TOKEN_MEDIA};q=0.7, */*;q=0.2` })
    expect(listed.statusCode).toBe(200)
    expect(listed.headers['content-type']).toBe(`${TOKEN_MEDIA}; charset=utf-8`)
    const refused = await call(t.app, caller.token, 'GET', one, undefined, { accept: `${TOKEN_MEDIA};q=0, text/html` })
    expect(refused.statusCode).toBe(200)
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8')
    // Problems stay application/problem+json whatever Accept says.
    expectProblem(await call(t.app, caller.token, 'GET', tokenPath(caller.accountId, caller.userId, randomUUID()), undefined, { accept: TOKEN_MEDIA }), 2)
  })
})
