import { createHash, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.js'
import { sha256 } from '../../../src/core/secrets.js'
import { UNSTORABLE_TEXT_PROBLEM } from '../../../src/core/storable-text.js'
import { FAMILIES } from '../../../src/families/index.js'
import { loggerOptions } from '../../../src/logging.js'
import { changeUser, withdrawRole } from '../../../src/services/identity.js'
import { eventually, NOTIFIED_WITHIN_MS } from '../../helpers/eventually.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  ASTRA_TIME, BASE64_32, call, callerOn, collectionPath, createToken, expectProblem, newAccount, newCaller, TOKEN_MEDIA, TOKEN_TYPE,
  tokenBody, tokenPath, UUID_V4, type Caller
} from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

const post = (caller: Caller, body: unknown, userId = caller.userId, headers: Record<string, string> = {}) =>
  call(t.app, caller.token, 'POST', collectionPath(caller.accountId, userId), body, headers)
const getOne = (bearer: string, caller: Caller, id: string, userId = caller.userId, headers: Record<string, string> = {}) =>
  call(t.app, bearer, 'GET', tokenPath(caller.accountId, userId, id), undefined, headers)
const put = (caller: Caller, id: string, body: unknown, headers: Record<string, string> = {}, userId = caller.userId) =>
  call(t.app, caller.token, 'PUT', tokenPath(caller.accountId, userId, id), body, headers)
const del = (bearer: string, caller: Caller, id: string, userId = caller.userId) => call(t.app, bearer, 'DELETE', tokenPath(caller.accountId, userId, id))

describe('POST /accounts/{account_id}/core/v1/users/{user_id}/tokens (§B2)', () => {
  it('answers 201 with Location and the whole resource, the secret included; only its SHA-256 is stored', async () => {
    const caller = await newCaller(t.app)
    const before = Date.now()
    const response = await post(caller, tokenBody('Snapshot Script'))
    expect(response.statusCode, response.body).toBe(201)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['cache-control']).toBe('no-store')
    const body = response.json()
    expect(Object.keys(body)).toEqual(['type', 'version', 'id', 'name', 'userID', 'metadata', 'token'])
    expect(body.type).toBe(TOKEN_TYPE)
    expect(body.version).toBe('1.0')
    expect(body.id).toMatch(UUID_V4)
    expect(body.name).toBe('Snapshot Script')
    expect(body.userID).toBe(caller.userId)
    expect(body.token).toMatch(BASE64_32)
    expect(Buffer.from(body.token, 'base64')).toHaveLength(32)
    expect(body.metadata).toEqual({
      labels: [],
      creationTimestamp: body.metadata.creationTimestamp,
      modificationTimestamp: body.metadata.creationTimestamp,
      createdBy: caller.userId
    })
    expect(body.metadata.creationTimestamp).toMatch(ASTRA_TIME)
    expect(Date.parse(body.metadata.creationTimestamp)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(body.metadata.creationTimestamp)).toBeLessThanOrEqual(Date.now() + 1000)
    expect(response.headers.location).toBe(`http://localhost:80${tokenPath(caller.accountId, caller.userId, body.id)}`)

    const rows = await sql<{ secret_hash: Buffer, row: string }>`select secret_hash, row_to_json(user_tokens)::text as row from user_tokens where id = ${body.id}`.execute(t.app.db)
    expect(Buffer.from(rows.rows[0]!.secret_hash)).toEqual(sha256(body.token))
    expect(rows.rows[0]!.row).not.toContain(body.token)
  })

  it('takes application/astra-token+json bodies and echoes that media type when Accept asks for it', async () => {
    const caller = await newCaller(t.app)
    for (const contentType of [TOKEN_MEDIA, `${TOKEN_MEDIA}; charset=utf-8`, 'application/json; charset=utf-8']) {
      const response = await post(caller, JSON.stringify(tokenBody('typed')), caller.userId, { 'content-type': contentType, accept: TOKEN_MEDIA })
      expect(response.statusCode, response.body).toBe(201)
      expect(response.headers['content-type']).toBe(`${TOKEN_MEDIA}; charset=utf-8`)
    }
    for (const accept of ['*/*', 'application/json']) {
      const response = await post(caller, tokenBody('plain'), caller.userId, { accept })
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    }
  })

  it('carries an ETag (§B1): the hex MD5 of the JSON resource, as GET shows it, usable in If-Match', async () => {
    const caller = await newCaller(t.app)
    const created = await post(caller, tokenBody('tagged'))
    expect(created.statusCode, created.body).toBe(201)
    const read = await getOne(caller.token, caller, created.json().id)
    expect(created.headers.etag).toBe(`"${createHash('md5').update(read.body).digest('hex')}"`)
    expect(created.headers.etag).toBe(read.headers.etag)
    expect((await put(caller, created.json().id, tokenBody('retagged'), { 'if-match': String(created.headers.etag) })).statusCode).toBe(204)
  })

  it('keeps the labels given in metadata, and a createdBy equal to the caller', async () => {
    const caller = await newCaller(t.app)
    const labels = [{ name: 'team', value: 'storage' }, { name: 'env', value: 'prod' }]
    const body = await createToken(t.app, caller, 'labelled', { metadata: { labels, createdBy: caller.userId } })
    expect(body.metadata.labels).toEqual(labels)
    expect(body.metadata.createdBy).toBe(caller.userId)
  })

  it('lets an admin or owner of the account create a token for another of its users: createdBy is the caller', async () => {
    const accountId = await newAccount(t.app)
    const member = await callerOn(t.app, accountId, ['member'])
    for (const role of ['admin', 'owner']) {
      const manager = await callerOn(t.app, accountId, [role])
      const body = await createToken(t.app, manager, `for-member-${role}`, {}, member.userId)
      expect(body.userID).toBe(member.userId)
      expect(body.metadata.createdBy).toBe(manager.userId)
      // The token acts as the member, whoever created it.
      const own = await getOne(body.token, member, body.id)
      expect(own.statusCode, own.body).toBe(200)
    }
  })

  it('answers malformed JSON with problem 7', async () => {
    const caller = await newCaller(t.app)
    expectProblem(await post(caller, '{"type": ', caller.userId, { 'content-type': 'application/json' }), 7)
    expectProblem(await post(caller, '{"type": ', caller.userId, { 'content-type': TOKEN_MEDIA }), 7)
  })

  it('answers schema violations with problem 8 and the failure', async () => {
    const caller = await newCaller(t.app)
    const cases: Array<[unknown, string]> = [
      [{ version: '1.0', name: 'n' }, "body/type must have required property 'type'"],
      [{ type: 'application/astra-user', version: '1.0', name: 'n' }, 'body/type must be equal to constant'],
      [{ type: TOKEN_TYPE, version: '1.1', name: 'n' }, 'body/version must be equal to constant'],
      [{ type: TOKEN_TYPE, version: '1.0' }, "body/name must have required property 'name'"],
      [tokenBody(''), 'body/name must NOT have fewer than 1 characters'],
      [tokenBody('x'.repeat(64)), 'body/name must NOT have more than 63 characters'],
      [tokenBody('n', { token: 'mine' }), 'body/token must NOT have additional properties'],
      [tokenBody('n', { metadata: { labels: [{ name: 'a' }] } }), "body/metadata/labels/0/value must have required property 'value'"],
      [tokenBody('n', { metadata: { labels: [{ name: 'a', value: 'b' }, { name: 'a', value: 'b' }] } }), 'body/metadata/labels must NOT have duplicate items (items ## 0 and 1 are identical)'],
      [tokenBody('n', { metadata: { owner: 'me' } }), 'body/metadata/owner must NOT have additional properties'],
      [[], 'body must be object'],
      ['"text"', 'body must be object']
    ]
    for (const [body, failure] of cases) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body)
      const response = await post(caller, payload, caller.userId, { 'content-type': 'application/json' })
      expectProblem(response, 8, { schemaValidationFailure: failure })
    }
    expectProblem(await post(caller, undefined), 8, { schemaValidationFailure: 'body must be object' })
  })

  it('accepts a 63-character name and printable names, refuses names failing extended validation with problem 9', async () => {
    const caller = await newCaller(t.app)
    for (const name of ['x'.repeat(63), 'Snapshot Script v1.2_final-copy', 'Équipe stockage ✓', 'a/b', '..', 'a..b', 'x=1; y&z']) {
      expect((await createToken(t.app, caller, name)).name).toBe(name)
    }
    const refused: Array<[string, string]> = [
      ['<script>', 'must not contain < or >'],
      ['a > b', 'must not contain < or >'],
      ['tab\there', 'must not contain control characters'],
      ['del\u007f', 'must not contain control characters'],
      ['../etc/passwd', 'must not contain a path traversal sequence (../ or ..\\)'],
      ['..\\windows', 'must not contain a path traversal sequence (../ or ..\\)']
    ]
    for (const [name, reason] of refused) {
      expectProblem(await post(caller, tokenBody(name)), 9, { invalidFields: [{ name: 'name', reason }] })
    }
    // Text PostgreSQL cannot store (plugins/http/storable-text.ts), in the same problem.
    expectProblem(await post(caller, tokenBody('nul\u0000')), 9, { invalidFields: [{ name: 'name', reason: UNSTORABLE_TEXT_PROBLEM }] })
    expectProblem(await post(caller, tokenBody('lone \udfff')), 9, { invalidFields: [{ name: 'name', reason: UNSTORABLE_TEXT_PROBLEM }] })
    expectProblem(await post(caller, tokenBody('n', { metadata: { labels: [{ name: 'k', value: 'v\u0000' }] } })), 9, {
      invalidFields: [{ name: 'metadata.labels.0.value', reason: UNSTORABLE_TEXT_PROBLEM }]
    })
  })

  it('answers server-owned metadata values with problem 10', async () => {
    const caller = await newCaller(t.app)
    const other = randomUUID()
    expectProblem(await post(caller, tokenBody('n', { metadata: { createdBy: other } })), 10, {
      invalidFields: [{ name: 'metadata.createdBy', reason: 'is set by the server to the caller' }]
    })
    expectProblem(await post(caller, tokenBody('n', { metadata: { creationTimestamp: '2022-10-06T20:58:16.305662Z', modifiedBy: other } })), 10, {
      invalidFields: [
        { name: 'metadata.modifiedBy', reason: 'is set by the server' },
        { name: 'metadata.creationTimestamp', reason: 'is set by the server' }
      ]
    })
  })

  it('answers a body of another media type with problem 12, and a body over 64 KiB with 413', async () => {
    const caller = await newCaller(t.app)
    expectProblem(await post(caller, 'name=x', caller.userId, { 'content-type': 'application/x-www-form-urlencoded' }), 12, {
      invalidHeaders: [{ name: 'Content-Type', reason: 'must be application/astra-token+json or application/json' }]
    })
    expectProblem(await post(caller, 'hello', caller.userId, { 'content-type': 'text/plain' }), 12, {
      invalidHeaders: [{ name: 'Content-Type', reason: 'must be application/astra-token+json or application/json' }]
    })
    const large = await post(caller, JSON.stringify(tokenBody('n', { padding: 'x'.repeat(64 * 1024) })), caller.userId, { 'content-type': 'application/json' })
    expect(large.statusCode).toBe(413)
    expect(large.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(large.json()).toEqual({ type: 'about:blank', title: 'Payload Too Large', detail: 'Request is too large.', status: '413', correlationID: large.headers['x-correlation-id'] })
  })

  it('answers a query parameter with problem 6', async () => {
    const caller = await newCaller(t.app)
    const response = await call(t.app, caller.token, 'POST', `${collectionPath(caller.accountId, caller.userId)}?dryRun=true`, tokenBody('n'))
    expectProblem(response, 6, { invalidParams: [{ name: 'dryRun', reason: 'This query parameter is not supported by this endpoint.' }] })
  })
})

describe('authentication and authorisation (§B1)', () => {
  it('answers a missing bearer token with problem 3, and an unknown, malformed or other-scheme one with problem 4', async () => {
    const caller = await newCaller(t.app)
    const path = collectionPath(caller.accountId, caller.userId)
    for (const method of ['GET', 'POST'] as const) {
      expectProblem(await call(t.app, undefined, method, path, method === 'POST' ? tokenBody('n') : undefined), 3)
      const unknown = await call(t.app, Buffer.alloc(32, 1).toString('base64'), method, path)
      expectProblem(unknown, 4)
      expect(unknown.headers['www-authenticate']).toBe('Bearer')
      expectProblem(await call(t.app, 'not-a-token', method, path), 4)
      expectProblem(await t.app.inject({ method, url: path, headers: { authorization: 'Basic dXNlcjpwdw==' } }), 4)
    }
  })

  it('checks the credential before the body: no 400 or 413 for callers without one', async () => {
    const caller = await newCaller(t.app)
    const response = await t.app.inject({ method: 'POST', url: collectionPath(caller.accountId, caller.userId), headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(70 * 1024) })
    expectProblem(response, 3)
  })

  it('lets an Astra token act as its user, on that user\'s own tokens only, with the user\'s current roles', async () => {
    const accountId = await newAccount(t.app)
    const admin = await callerOn(t.app, accountId, ['admin'])
    const member = await callerOn(t.app, accountId, ['member'])
    const adminToken = (await createToken(t.app, admin, 'admin-token')).token
    const memberToken = (await createToken(t.app, member, 'member-token')).token

    // The member's token manages the member's tokens, not the admin's.
    expect((await call(t.app, memberToken, 'GET', collectionPath(accountId, member.userId))).statusCode).toBe(200)
    expectProblem(await call(t.app, memberToken, 'GET', collectionPath(accountId, admin.userId)), 11)
    expectProblem(await call(t.app, memberToken, 'POST', collectionPath(accountId, admin.userId), tokenBody('n')), 11)
    // The admin's token manages the member's.
    const created = await call(t.app, adminToken, 'POST', collectionPath(accountId, member.userId), tokenBody('by-admin-token'))
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json().metadata.createdBy).toBe(admin.userId)

    // Roles are read when the token is used: without the admin role, the same token is refused.
    await withdrawRole(t.app.db, admin.userId, accountId, 'admin')
    expectProblem(await call(t.app, adminToken, 'GET', collectionPath(accountId, member.userId)), 11)
    expect((await call(t.app, adminToken, 'GET', collectionPath(accountId, admin.userId))).statusCode).toBe(200)

    // A disabled user's tokens stop working.
    await changeUser(t.app.db, t.app.credentialTools.passwords, member.userId, { enabled: false })
    expectProblem(await call(t.app, memberToken, 'GET', collectionPath(accountId, member.userId)), 4)
  })

  it('refuses members on other users\' tokens, and callers of other accounts, with problem 11', async () => {
    const accountId = await newAccount(t.app)
    const member = await callerOn(t.app, accountId, ['member'])
    const viewer = await callerOn(t.app, accountId, ['viewer'])
    const outsider = await newCaller(t.app, ['admin', 'owner'])
    const token = await createToken(t.app, member, 'mine')
    for (const caller of [viewer, outsider]) {
      expectProblem(await call(t.app, caller.token, 'GET', collectionPath(accountId, member.userId)), 11)
      expectProblem(await call(t.app, caller.token, 'POST', collectionPath(accountId, member.userId), tokenBody('n')), 11)
      expectProblem(await call(t.app, caller.token, 'GET', tokenPath(accountId, member.userId, token.id)), 11)
      expectProblem(await call(t.app, caller.token, 'PUT', tokenPath(accountId, member.userId, token.id), tokenBody('n')), 11)
      expectProblem(await call(t.app, caller.token, 'DELETE', tokenPath(accountId, member.userId, token.id)), 11)
    }
    expect((await getOne(member.token, member, token.id)).json().name).toBe('mine')
  })

  it('answers an unknown or malformed account or user, or a user of another account, with problem 2', async () => {
    const caller = await newCaller(t.app, ['admin'])
    const stranger = await newCaller(t.app)
    const paths = [
      collectionPath(randomUUID(), caller.userId),
      collectionPath(caller.accountId, randomUUID()),
      collectionPath(caller.accountId, stranger.userId),
      collectionPath('not-a-uuid', caller.userId),
      collectionPath(caller.accountId, caller.userId.toUpperCase()),
      collectionPath(caller.accountId, 'admin')
    ]
    for (const path of paths) {
      expectProblem(await call(t.app, caller.token, 'GET', path), 2)
      expectProblem(await call(t.app, caller.token, 'POST', path, tokenBody('n')), 2)
      expectProblem(await call(t.app, caller.token, 'DELETE', `${path}/${randomUUID()}`), 2)
    }
  })

  it('answers unknown routes under /accounts with problem 1', async () => {
    const caller = await newCaller(t.app)
    for (const path of ['/accounts', `/accounts/${caller.accountId}/core/v1/users`, `${collectionPath(caller.accountId, caller.userId)}/a/b`]) {
      expectProblem(await call(t.app, caller.token, 'GET', path), 1)
    }
  })
})

describe('GET …/tokens/{token_id} (§B4)', () => {
  it('answers 200 without the secret, with an ETag that is the hex MD5 of the JSON resource', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller, 'readable', { metadata: { labels: [{ name: 'k', value: 'v' }] } })
    const response = await getOne(caller.token, caller, created.id)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const { token, ...resource } = created
    expect(token).toMatch(BASE64_32)
    expect(response.json()).toEqual(resource)
    expect(response.body).not.toContain(token)
    expect(response.headers.etag).toBe(`"${createHash('md5').update(response.body).digest('hex')}"`)
    expect(response.headers['cache-control']).toBeUndefined()

    const typed = await getOne(caller.token, caller, created.id, caller.userId, { accept: TOKEN_MEDIA })
    expect(typed.headers['content-type']).toBe(`${TOKEN_MEDIA}; charset=utf-8`)
    expect(typed.body).toBe(response.body)
  })

  it('answers an unknown, malformed or revoked token with problem 2, and a query parameter with problem 6', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller)
    expectProblem(await getOne(caller.token, caller, randomUUID()), 2)
    expectProblem(await getOne(caller.token, caller, 'nope'), 2)
    // Another user's token is not in this collection.
    const admin = await callerOn(t.app, caller.accountId, ['admin'])
    expectProblem(await getOne(admin.token, admin, created.id), 2)
    expect((await del(caller.token, caller, created.id)).statusCode).toBe(204)
    expectProblem(await getOne(caller.token, caller, created.id), 2)
    const withQuery = await call(t.app, caller.token, 'GET', `${tokenPath(caller.accountId, caller.userId, created.id)}?include=id`)
    expectProblem(withQuery, 6, { invalidParams: [{ name: 'include', reason: 'This query parameter is not supported by this endpoint.' }] })
  })
})

describe('PUT …/tokens/{token_id} (§B5)', () => {
  it('answers 204 with no body, replaces the name, keeps server-owned values, the labels and the secret', async () => {
    const accountId = await newAccount(t.app)
    const owner = await callerOn(t.app, accountId, ['member'])
    const admin = await callerOn(t.app, accountId, ['admin'])
    const labels = [{ name: 'team', value: 'storage' }]
    // No wait: a PUT moves modificationTimestamp a millisecond past the last one even within the same millisecond.
    const created = await createToken(t.app, owner, 'before', { metadata: { labels } })

    const response = await put(admin, created.id, tokenBody('after'), {}, owner.userId)
    expect(response.statusCode, response.body).toBe(204)
    expect(response.body).toBe('')
    const read = await getOne(owner.token, owner, created.id)
    const resource = read.json()
    expect(response.headers.etag).toBe(read.headers.etag)
    expect(resource).toEqual({
      type: TOKEN_TYPE,
      version: '1.0',
      id: created.id,
      name: 'after',
      userID: owner.userId,
      metadata: {
        labels,
        creationTimestamp: created.metadata.creationTimestamp,
        modificationTimestamp: resource.metadata.modificationTimestamp,
        createdBy: owner.userId,
        modifiedBy: admin.userId
      }
    })
    expect(Date.parse(resource.metadata.modificationTimestamp)).toBeGreaterThan(Date.parse(created.metadata.creationTimestamp))
    // The secret is unchanged.
    expect((await getOne(created.token, owner, created.id)).statusCode).toBe(200)
  })

  it('keeps the name without one, replaces the labels with metadata, and takes back a GET body as it is', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller, 'kept', { metadata: { labels: [{ name: 'a', value: '1' }] } })
    expect((await put(caller, created.id, { type: TOKEN_TYPE, version: '1.0' })).statusCode).toBe(204)
    expect((await getOne(caller.token, caller, created.id)).json().name).toBe('kept')
    expect((await put(caller, created.id, { type: TOKEN_TYPE, version: '1.0', metadata: { labels: [{ name: 'b', value: '2' }] } })).statusCode).toBe(204)
    expect((await getOne(caller.token, caller, created.id)).json().metadata.labels).toEqual([{ name: 'b', value: '2' }])
    expect((await put(caller, created.id, { type: TOKEN_TYPE, version: '1.0', metadata: {} })).statusCode).toBe(204)
    const read = (await getOne(caller.token, caller, created.id)).json()
    expect(read.metadata.labels).toEqual([])

    const echoed = await put(caller, created.id, { ...read, name: 'echoed' })
    expect(echoed.statusCode, echoed.body).toBe(204)
    const after = (await getOne(caller.token, caller, created.id)).json()
    expect(after.name).toBe('echoed')
    expect(Date.parse(after.metadata.modificationTimestamp)).toBeGreaterThan(Date.parse(read.metadata.modificationTimestamp))
  })

  it('answers a different id, userID, createdBy or creationTimestamp with problem 10', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller)
    const other = randomUUID()
    expectProblem(await put(caller, created.id, tokenBody('n', { id: other, userID: other })), 10, {
      invalidFields: [{ name: 'id', reason: 'differs from the token\'s id' }, { name: 'userID', reason: 'differs from the token\'s user' }]
    })
    expectProblem(await put(caller, created.id, tokenBody('n', { metadata: { createdBy: other, creationTimestamp: '2020-01-01T00:00:00Z' } })), 10, {
      invalidFields: [{ name: 'metadata.createdBy', reason: 'differs from the stored value' }, { name: 'metadata.creationTimestamp', reason: 'differs from the stored value' }]
    })
    expect((await getOne(caller.token, caller, created.id)).json().name).toBe(created.name)
  })

  it('answers bad bodies with problems 7, 8 and 9, and an unknown token with problem 1', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller)
    expectProblem(await put(caller, created.id, '{', { 'content-type': 'application/json' }), 7)
    expectProblem(await put(caller, created.id, { version: '1.0' }), 8, { schemaValidationFailure: "body/type must have required property 'type'" })
    expectProblem(await put(caller, created.id, tokenBody('n', { token: 'x' })), 8, { schemaValidationFailure: 'body/token must NOT have additional properties' })
    expectProblem(await put(caller, created.id, tokenBody('<b>')), 9, { invalidFields: [{ name: 'name', reason: 'must not contain < or >' }] })
    expectProblem(await put(caller, randomUUID(), tokenBody('n')), 1)
    expectProblem(await put(caller, 'not-an-id', tokenBody('n')), 1)
  })

  it('honours If-Match and If-Unmodified-Since: 412 when they do not hold', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller, 'v1')
    const etag = String((await getOne(caller.token, caller, created.id)).headers.etag)

    const changed = await put(caller, created.id, tokenBody('v2'), { 'if-match': etag })
    expect(changed.statusCode, changed.body).toBe(204)
    const stale = await put(caller, created.id, tokenBody('v3'), { 'if-match': etag })
    expect(stale.statusCode).toBe(412)
    expect(stale.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(stale.json()).toEqual({
      type: 'about:blank',
      title: 'Precondition Failed',
      detail: 'If-Match does not match the token\'s current ETag.',
      status: '412',
      correlationID: stale.headers['x-correlation-id']
    })
    expect((await getOne(caller.token, caller, created.id)).json().name).toBe('v2')
    expect((await put(caller, created.id, tokenBody('v3'), { 'if-match': `"0", ${String(changed.headers.etag)}` })).statusCode).toBe(204)
    expect((await put(caller, created.id, tokenBody('v4'), { 'if-match': '*' })).statusCode).toBe(204)

    const past = new Date(Date.now() - 3600_000).toUTCString()
    const future = new Date(Date.now() + 3600_000).toUTCString()
    expect((await put(caller, created.id, tokenBody('v5'), { 'if-unmodified-since': past })).statusCode).toBe(412)
    expect((await put(caller, created.id, tokenBody('v5'), { 'if-unmodified-since': future })).statusCode).toBe(204)
    expect((await getOne(caller.token, caller, created.id)).json().name).toBe('v5')
  })

  it('reads If-Unmodified-Since only as an HTTP-date, in its three forms, and ignores anything else (RFC 9110 §13.1.4)', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller, 'w0')
    // All three forms of one instant long past: the token changed since, so each fails.
    for (const past of ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994']) {
      const response = await put(caller, created.id, tokenBody('w1'), { 'if-unmodified-since': past })
      expect(response.statusCode, past).toBe(412)
      expect(response.json()).toEqual({
        type: 'about:blank', title: 'Precondition Failed', detail: 'The token was modified after If-Unmodified-Since.', status: '412', correlationID: response.headers['x-correlation-id']
      })
    }
    // Not HTTP-dates (Date.parse reads most of them, "1" as the year 2001): the PUT goes ahead.
    const invalid = ['1', 'yesterday', '2001', '1994-11-06T08:49:37Z', 'sun, 06 nov 1994 08:49:37 gmt', 'Sun, 06 Nov 1994 08:49:37 +0000',
      'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', 'Sun, 6 Nov 1994 08:49:37 GMT', '']
    for (const [index, value] of invalid.entries()) {
      const response = await put(caller, created.id, tokenBody(`w${index + 2}`), { 'if-unmodified-since': value })
      expect(response.statusCode, JSON.stringify(value)).toBe(204)
    }
    expect((await getOne(caller.token, caller, created.id)).json().name).toBe(`w${invalid.length + 1}`)
  })

  it('answers a conflict with problem 10 even under a precondition that fails (RFC 7232 §5: only a 2xx is conditional)', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller)
    const response = await put(caller, created.id, tokenBody('n', { id: randomUUID() }), { 'if-match': '"0"' })
    expectProblem(response, 10, { invalidFields: [{ name: 'id', reason: 'differs from the token\'s id' }] })
  })
})

describe('DELETE …/tokens/{token_id} (§B6)', () => {
  it('answers 204 with no body; the bearer value is refused at once, and on every replica as soon as it hears of it', async () => {
    const caller = await newCaller(t.app)
    const created = await createToken(t.app, caller)
    // It would keep the token a minute: only the deletion's notification can end it sooner.
    const replica = await t.replica({ credentialCache: { ...t.config.credentialCache, seconds: 60 } })
    const path = collectionPath(caller.accountId, caller.userId)
    expect((await call(replica, created.token, 'GET', path)).statusCode).toBe(200)

    const response = await del(created.token, caller, created.id)
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')
    expectProblem(await call(t.app, created.token, 'GET', path), 4)
    // The replica caches the token: the deletion's notification reaches it (in milliseconds, but a loaded machine may take longer).
    await eventually(async () => expectProblem(await call(replica, created.token, 'GET', path), 4), NOTIFIED_WITHIN_MS, 1)
    expect((await sql<{ revoked: boolean }>`select revoked_at is not null as revoked from user_tokens where id = ${created.id}`.execute(t.app.db)).rows).toEqual([{ revoked: true }])
    expectProblem(await del(caller.token, caller, created.id), 1)
  })

  it('answers an unknown token with problem 1', async () => {
    const caller = await newCaller(t.app)
    expectProblem(await del(caller.token, caller, randomUUID()), 1)
    expectProblem(await del(caller.token, caller, '../x'), 1)
  })
})

describe('odd input', () => {
  it('never answers 5xx, and always in problem details', async () => {
    const caller = await newCaller(t.app)
    const token = await createToken(t.app, caller)
    const path = collectionPath(caller.accountId, caller.userId)
    const requests: Array<[('GET' | 'POST' | 'PUT' | 'DELETE'), string, unknown?]> = [
      ['GET', `${path}/${'f'.repeat(400)}`],
      ['GET', `${path}/%E2%9C%93`],
      ['GET', `${path}/${token.id}%00`],
      ['GET', `${path}?filter=${encodeURIComponent("name eq '✓ ünïcode'")}`],
      ['GET', `${path}?filter=${encodeURIComponent("metadata.creationTimestamp eq '2026-02-30T00:00:00Z'")}`],
      ['GET', `${path}?filter=${encodeURIComponent("metadata.labels[*].name gt '%'")}`],
      ['GET', `${path}?orderBy=name%20desc%20desc`],
      ['GET', `${path}?continue=${encodeURIComponent(Buffer.from(JSON.stringify({ v: 1, o: 'creationTimestamp', f: '', k: ['x', 'y'] })).toString('base64'))}`],
      ['GET', `${path}?continue=${encodeURIComponent(Buffer.from(JSON.stringify({ v: 1, o: 'bogus', f: "name eq 'a'", k: ['x', 'y'] })).toString('base64'))}`],
      ['GET', `${path}?skip=${'9'.repeat(30)}`],
      ['GET', `${path}?limit=1000000`],
      ['POST', path, tokenBody('n', { metadata: { labels: Array.from({ length: 200 }, (_, index) => ({ name: `k${index}`, value: 'v' })) } })],
      ['POST', path, tokenBody('n', { metadata: { labels: [{ name: 'k', value: 'x'.repeat(10_000) }] } })],
      ['PUT', `${path}/${token.id}`, tokenBody('n', { id: 'not-a-uuid' })],
      ['PUT', `${path}/${token.id}`, { type: 'application/astra-token', version: '1.0', metadata: { creationTimestamp: '2026-13-45T99:99:99Z' } }],
      ['DELETE', `${path}/${'%2e%2e%2f'.repeat(20)}`]
    ]
    for (const [method, url, payload] of requests) {
      const response = await call(t.app, caller.token, method, url, payload)
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(500)
      if (response.statusCode >= 400) expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    }
    expect((await getOne(caller.token, caller, token.id)).statusCode).toBe(200)
  })
})

describe('logging', () => {
  it('logs changes with ids and the correlation id, and never a secret', async () => {
    const lines: string[] = []
    const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
    const logged = await buildApp({ config: t.config, db: t.app.db, logger: pino(loggerOptions({ logLevel: 'info' }, FAMILIES), stream) })
    await logged.ready()
    try {
      const caller = await newCaller(t.app)
      const path = collectionPath(caller.accountId, caller.userId)
      const created = await call(logged, caller.token, 'POST', path, tokenBody('logged'))
      expect(created.statusCode).toBe(201)
      const { id, token } = created.json()
      expect((await call(logged, token, 'GET', `${path}/${id}`)).statusCode).toBe(200)
      expect((await call(logged, token, 'PUT', `${path}/${id}`, tokenBody('renamed'))).statusCode).toBe(204)
      const refused = await call(logged, token, 'GET', `${path}?limit=0`)
      expect((await call(logged, token, 'DELETE', `${path}/${id}`)).statusCode).toBe(204)
      expect((await call(logged, token, 'GET', path)).statusCode).toBe(401)

      const entries = lines.map((line) => JSON.parse(line))
      const scope = { accountId: caller.accountId, userId: caller.userId, tokenId: id }
      for (const msg of ['astra token created', 'astra token replaced', 'astra token revoked']) expect(entries).toContainEqual(expect.objectContaining({ msg, ...scope }))
      expect(entries).toContainEqual(expect.objectContaining({ msg: 'request refused', status: 400, reqId: refused.json().correlationID }))
      const text = lines.join('\n')
      expect(text).not.toContain(token)
      expect(text).not.toContain(caller.token)
    } finally {
      await logged.close()
    }
  })
})
