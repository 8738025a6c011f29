import { request as httpRequest } from 'node:http'
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.js'
import { sha256 } from '../../../src/core/secrets.js'
import { FAMILIES } from '../../../src/families/index.js'
import { loggerOptions } from '../../../src/logging.js'
import { insertAccount, insertUser, login, tenantSession } from '../../helpers/factories.js'
import { clockPassed } from '../../helpers/clock-passed.js'
import { listen } from '../../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import {
  call, collection, createToken, expectEmptyReply, expectError, expectMonitoringHeaders, JSON_TYPE, tokenIdPattern, type Caller
} from './helpers.js'

const LABEL_ERROR = "Validation error for key 'label'"
const BODY_ERROR = { message: 'Validation error', details: 'The request body must be a JSON object.' }

describe('Rackspace Monitoring agent tokens (§10.6)', () => {
  let t: TestApp
  let admin: Caller

  beforeAll(async () => {
    t = await setupTestApp()
    admin = await adminOf(t)
  })
  afterAll(() => t?.close())

  async function adminOf (test: TestApp, accountId?: string): Promise<Caller> {
    if (accountId === undefined) {
      const session = await tenantSession(test.app, ['admin'])
      return { token: session.token, tenantId: session.account.id }
    }
    const account = await insertAccount(test.app.db, { id: accountId })
    const user = await insertUser(test.app.db, { accountId: account.id, roles: ['admin'] })
    const session = await login(test.app, { username: user.user.name, password: user.password, tenantId: account.id })
    return { token: session.token, tenantId: account.id }
  }

  const tokenPath = (caller: Caller, id: string) => `${collection(caller.tenantId)}/${id}`
  const get = (caller: Caller, id: string) => call(t.app, caller, 'GET', tokenPath(caller, id))

  describe('POST /v1.0/{tenantId}/agent_tokens', () => {
    it('answers 201 with no body, Location, X-Object-ID and the Monitoring headers', async () => {
      const response = await call(t.app, admin, 'POST', collection(admin.tenantId), { label: 'web01' })
      expectEmptyReply(response, 201)
      const id = String(response.headers['x-object-id'])
      expect(id).toMatch(tokenIdPattern(admin.tenantId))
      expect(response.headers.location).toBe(`http://localhost:80/v1.0/${admin.tenantId}/agent_tokens/${id}`)

      const fetched = await get(admin, id)
      expect(fetched.statusCode).toBe(200)
      expect(fetched.json()).toEqual({ id, token: id, label: 'web01', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
    })

    it('starts the id with 12 hex digits of the creation time in ms, so ids sort by creation', async () => {
      const before = Date.now()
      const first = await createToken(t.app, admin)
      const created = Number.parseInt(first.slice(0, 12), 16)
      // The next millisecond, so the two creation times differ.
      await clockPassed(created)
      const second = await createToken(t.app, admin)
      expect(created).toBeGreaterThanOrEqual(before)
      expect(Number.parseInt(second.slice(0, 12), 16)).toBeGreaterThan(created)
      expect(Number.parseInt(second.slice(0, 12), 16)).toBeLessThanOrEqual(Date.now())
      expect(first < second).toBe(true)
      expect(first.slice(16, 64)).not.toBe(second.slice(16, 64))
    })

    it('takes an empty body, {}, a null label and unknown keys as "no label"', async () => {
      const bodies: (object | undefined)[] = [undefined, {}, { label: null }, { unknown: 1, nested: { label: 'x' } }]
      for (const body of bodies) {
        const response = await call(t.app, admin, 'POST', collection(admin.tenantId), body)
        expectEmptyReply(response, 201)
        const fetched = await get(admin, String(response.headers['x-object-id']))
        expect(fetched.json().label).toBeNull()
      }
      const bare = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { 'x-auth-token': admin.token, 'content-type': 'application/json' }, payload: '' })
      expectEmptyReply(bare, 201)
    })

    it('accepts labels of 1 and 255 characters (code points, not bytes)', async () => {
      for (const label of ['a', 'x'.repeat(255), '😀'.repeat(255)]) {
        const id = await createToken(t.app, admin, { label })
        expect((await get(admin, id)).json().label).toBe(label)
      }
    })

    it('answers 400 badRequest naming label for a non-string or out-of-range label', async () => {
      const cases: [unknown, string][] = [
        [123, 'label must be string,null'],
        [true, 'label must be string,null'],
        [['a'], 'label must be string,null'],
        [{ text: 'a' }, 'label must be string,null'],
        ['', 'label must NOT have fewer than 1 characters'],
        ['x'.repeat(256), 'label must NOT have more than 255 characters'],
        ['😀'.repeat(256), 'label must NOT have more than 255 characters'],
        ['nul\u0000byte', 'label must not contain U+0000 or an unpaired UTF-16 surrogate']
      ]
      for (const [label, details] of cases) {
        const response = await call(t.app, admin, 'POST', collection(admin.tenantId), { label })
        expectError(response, 400, 'badRequest', LABEL_ERROR, details)
      }
    })

    it('answers 400 badRequest for a body that is not a JSON object, or not JSON', async () => {
      for (const payload of ['[]', '"label"', '42', 'null', '[{"label":"a"}]']) {
        const response = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { 'x-auth-token': admin.token, 'content-type': 'application/json' }, payload })
        expectError(response, 400, 'badRequest', BODY_ERROR.message, BODY_ERROR.details)
      }
      const broken = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { 'x-auth-token': admin.token, 'content-type': 'application/json' }, payload: '{"label":' })
      expectError(broken, 400, 'badRequest', 'Invalid JSON', 'The request body is not valid JSON.')
      const text = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { 'x-auth-token': admin.token, 'content-type': 'text/plain' }, payload: 'label=a' })
      expectError(text, 400, 'badRequest', 'Unsupported media type', 'Content-Type must be application/json.')
    })

    it('answers 413 requestTooLargeError above 64 KiB', async () => {
      const payload = JSON.stringify({ label: 'a', padding: 'x'.repeat(64 * 1024) })
      const response = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { 'x-auth-token': admin.token, 'content-type': 'application/json' }, payload })
      expectError(response, 413, 'requestTooLargeError', 'Request too large', 'The request body must not exceed 65536 bytes.')
    })

    it('accepts _who and _why', async () => {
      const response = await call(t.app, admin, 'POST', `${collection(admin.tenantId)}?_who=jdoe&_why=new%20agent`, { label: 'audited' })
      expectEmptyReply(response, 201)
    })
  })

  describe('GET /v1.0/{tenantId}/agent_tokens/{tokenId}', () => {
    it('answers 200 {id, token, label} as UTF-8 JSON with the Monitoring headers; label null when unset', async () => {
      const id = await createToken(t.app, admin)
      const response = await get(admin, id)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe(JSON_TYPE)
      expectMonitoringHeaders(response)
      const accessor = response.json().accessor
      expect(accessor).toMatch(/^agt_[0-9a-f]{32}$/)
      expect(response.body).toBe(JSON.stringify({ id, token: id, label: null, accessor }))
    })

    it('answers 404 notFoundError naming only the sort key of a well-formed unknown id', async () => {
      const id = await createToken(t.app, admin)
      const unknown = `${id.slice(0, 16)}${'0'.repeat(48)}.${admin.tenantId}`
      const response = await get(admin, unknown)
      expectError(response, 404, 'notFoundError', 'Object does not exist', `Object "AgentToken" with key "${id.slice(0, 16)}…" does not exist`)
      expect(response.body).not.toContain('0'.repeat(48))
    })

    it('answers 404 for malformed ids, and for another tenant\'s token under this tenant', async () => {
      const other = await adminOf(t)
      const foreign = await createToken(t.app, other)
      const cases: [string, string][] = [
        ['abc', 'abc'],
        [foreign, `${foreign.slice(0, 16)}…`],
        [foreign.toUpperCase().replace(/\..*$/, `.${admin.tenantId}`), `${foreign.slice(0, 16).toUpperCase()}…`],
        ['f'.repeat(300), `${'f'.repeat(16)}…`]
      ]
      for (const [id, key] of cases) {
        expectError(await get(admin, id), 404, 'notFoundError', 'Object does not exist', `Object "AgentToken" with key "${key}" does not exist`)
      }
      expect((await get(other, foreign)).statusCode).toBe(200)
    })
  })

  describe('PUT /v1.0/{tenantId}/agent_tokens/{tokenId}', () => {
    it('answers 204 with Location and X-Object-ID and changes the label; null clears it; {} keeps it', async () => {
      const id = await createToken(t.app, admin, { label: 'before' })
      const response = await call(t.app, admin, 'PUT', `${tokenPath(admin, id)}?_who=jdoe&_why=rename`, { label: 'after', ignored: true })
      expectEmptyReply(response, 204)
      expect(response.headers.location).toBe(`http://localhost:80/v1.0/${admin.tenantId}/agent_tokens/${id}`)
      expect(response.headers['x-object-id']).toBe(id)
      expect((await get(admin, id)).json()).toEqual({ id, token: id, label: 'after', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })

      expectEmptyReply(await call(t.app, admin, 'PUT', tokenPath(admin, id), {}), 204)
      expect((await get(admin, id)).json().label).toBe('after')
      expectEmptyReply(await call(t.app, admin, 'PUT', tokenPath(admin, id)), 204)
      expect((await get(admin, id)).json().label).toBe('after')

      expectEmptyReply(await call(t.app, admin, 'PUT', tokenPath(admin, id), { label: null }), 204)
      expect((await get(admin, id)).json().label).toBeNull()
    })

    it('answers 400 for a bad label and 404 for an unknown token', async () => {
      const id = await createToken(t.app, admin, { label: 'kept' })
      expectError(await call(t.app, admin, 'PUT', tokenPath(admin, id), { label: 7 }), 400, 'badRequest', LABEL_ERROR, 'label must be string,null')
      expectError(await call(t.app, admin, 'PUT', tokenPath(admin, id), ['x']), 400, 'badRequest', BODY_ERROR.message, BODY_ERROR.details)
      expect((await get(admin, id)).json().label).toBe('kept')

      const unknown = `${'1'.repeat(64)}.${admin.tenantId}`
      for (const body of [{ label: 'x' }, {}]) {
        expectError(await call(t.app, admin, 'PUT', tokenPath(admin, unknown), body), 404, 'notFoundError', 'Object does not exist',
          `Object "AgentToken" with key "${'1'.repeat(16)}…" does not exist`)
      }
    })
  })

  describe('DELETE /v1.0/{tenantId}/agent_tokens/{tokenId}', () => {
    it('answers 204, then 404 for the deleted token', async () => {
      const id = await createToken(t.app, admin)
      expectEmptyReply(await call(t.app, admin, 'DELETE', `${tokenPath(admin, id)}?_who=jdoe&_why=retired`), 204)
      const notFound = `Object "AgentToken" with key "${id.slice(0, 16)}…" does not exist`
      expectError(await get(admin, id), 404, 'notFoundError', 'Object does not exist', notFound)
      expectError(await call(t.app, admin, 'DELETE', tokenPath(admin, id)), 404, 'notFoundError', 'Object does not exist', notFound)
    })
  })

  describe('authorisation', () => {
    it('answers 401 unauthorizedError without a valid, live X-Auth-Token', async () => {
      const id = await createToken(t.app, admin)
      const expired = await adminOf(t)
      await sql`update auth_sessions set expires_at = now() - interval '1 second' where secret_hash = ${sha256(expired.token)}`.execute(t.app.db)
      const revoked = await adminOf(t)
      expect((await t.app.inject({ method: 'DELETE', url: '/v2.0/tokens', headers: { 'x-auth-token': revoked.token } })).statusCode).toBe(204)

      const tokens = [undefined, '', 'nonsense', expired.token, revoked.token]
      for (const token of tokens) {
        const headers = token === undefined ? {} : { 'x-auth-token': token }
        const requests = [
          t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers, payload: {} }),
          t.app.inject({ method: 'GET', url: collection(admin.tenantId), headers }),
          t.app.inject({ method: 'GET', url: tokenPath(admin, id), headers }),
          t.app.inject({ method: 'PUT', url: tokenPath(admin, id), headers, payload: { label: 'x' } }),
          t.app.inject({ method: 'DELETE', url: tokenPath(admin, id), headers })
        ]
        for (const response of await Promise.all(requests)) {
          expectError(response, 401, 'unauthorizedError', 'Unauthorized', 'A valid X-Auth-Token is required.')
          expect(response.headers['www-authenticate']).toBeUndefined()
        }
      }
      expect((await get(admin, id)).statusCode).toBe(200)
    })

    it('answers 403 forbiddenError for another tenant\'s admin, a member, and an unscoped token', async () => {
      const id = await createToken(t.app, admin)
      const otherAdmin = await adminOf(t)
      const member = await insertUser(t.app.db, { accountId: admin.tenantId, roles: ['member'] })
      const memberSession = await login(t.app, { username: member.user.name, password: member.password, tenantId: admin.tenantId })
      const unscoped = await login(t.app, { username: member.user.name, password: member.password })

      for (const token of [otherAdmin.token, memberSession.token, unscoped.token]) {
        const caller = { token, tenantId: admin.tenantId }
        const responses = [
          await call(t.app, caller, 'POST', collection(admin.tenantId), {}),
          await call(t.app, caller, 'GET', collection(admin.tenantId)),
          await call(t.app, caller, 'GET', tokenPath(admin, id)),
          await call(t.app, caller, 'PUT', tokenPath(admin, id), { label: 'x' }),
          await call(t.app, caller, 'DELETE', tokenPath(admin, id))
        ]
        for (const response of responses) {
          expectError(response, 403, 'forbiddenError', 'Forbidden', 'The token does not grant the admin role on this tenant.')
        }
      }
      expect((await get(admin, id)).json().label).toBeNull()
    })

    it('checks the token before the body: no 400 or 413 for callers without access', async () => {
      const headers = { 'content-type': 'application/json' }
      const unauthenticated = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers, payload: 'x'.repeat(70 * 1024) })
      expect(unauthenticated.statusCode).toBe(401)
      const other = await adminOf(t)
      const forbidden = await t.app.inject({ method: 'POST', url: collection(admin.tenantId), headers: { ...headers, 'x-auth-token': other.token }, payload: '{"label":' })
      expect(forbidden.statusCode).toBe(403)
    })
  })

  describe('tenant ids', () => {
    it('routes tenant ids with a colon as opaque segments, also percent-encoded', async () => {
      const hybrid = await adminOf(t, `hybrid:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`)
      const created = await call(t.app, hybrid, 'POST', collection(hybrid.tenantId), { label: 'hybrid' })
      expectEmptyReply(created, 201)
      const id = String(created.headers['x-object-id'])
      expect(id).toMatch(tokenIdPattern(hybrid.tenantId))
      expect(created.headers.location).toBe(`http://localhost:80/v1.0/${hybrid.tenantId}/agent_tokens/${id}`)

      expect((await get(hybrid, id)).json()).toEqual({ id, token: id, label: 'hybrid', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
      const encoded = await call(t.app, hybrid, 'GET', `/v1.0/${encodeURIComponent(hybrid.tenantId)}/agent_tokens/${encodeURIComponent(id)}`)
      expect(encoded.json()).toEqual({ id, token: id, label: 'hybrid', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
      const listed = await call(t.app, hybrid, 'GET', collection(hybrid.tenantId))
      expect(listed.json().values).toEqual([{ id, token: id, label: 'hybrid', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) }])
      expectEmptyReply(await call(t.app, hybrid, 'DELETE', tokenPath(hybrid, id)), 204)
    })

    it('serves ids of 64-character tenant ids (129-character path segments)', async () => {
      const long = await adminOf(t, `${Date.now().toString(16)}:`.padEnd(64, 'L'))
      const id = await createToken(t.app, long, { label: 'long' })
      expect(id).toHaveLength(129)
      expect((await get(long, id)).json()).toEqual({ id, token: id, label: 'long', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
      expectEmptyReply(await call(t.app, long, 'DELETE', tokenPath(long, id)), 204)
    })
  })

  describe('unknown routes under /v1.0', () => {
    it('answer 404 notFoundError in the Monitoring dialect, with X-Response-Id = txnId', async () => {
      const paths: ['GET' | 'POST' | 'PUT' | 'DELETE', string][] = [
        ['GET', `/v1.0/${admin.tenantId}/entities`],
        ['GET', '/v1.0'],
        ['PUT', collection(admin.tenantId)],
        ['POST', `${collection(admin.tenantId)}/abc`]
      ]
      for (const [method, path] of paths) {
        expectError(await call(t.app, admin, method, path), 404, 'notFoundError', 'Object does not exist', 'The requested resource does not exist')
      }
    })
  })

  describe('storage', () => {
    it('keeps no plaintext token: a SHA-256 of the id and an AES-GCM copy bound to its row', async () => {
      const caller = await adminOf(t)
      const ids = [await createToken(t.app, caller, { label: 'one' }), await createToken(t.app, caller)]
      const columns = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'agent_tokens' order by ordinal_position`.execute(t.app.db)
      expect(columns.rows.map((row) => row.column_name)).toEqual(['account_id', 'sort_key', 'secret_hash', 'token_sealed', 'label', 'created_at', 'updated_at', 'created_by', 'accessor'])

      const rows = await sql<Record<string, unknown>>`select * from agent_tokens where account_id = ${caller.tenantId} order by sort_key`.execute(t.app.db)
      expect(rows.rows).toHaveLength(2)
      rows.rows.forEach((row, index) => {
        const id = ids[index]!
        const secret = id.slice(16, 64)
        const dump = Object.values(row).map((value) => value instanceof Uint8Array
          ? `${Buffer.from(value).toString('hex')} ${Buffer.from(value).toString('latin1')} ${Buffer.from(value).toString('base64')}`
          : String(value)).join(' ')
        expect(dump).not.toContain(secret)
        expect(dump).not.toContain(secret.slice(0, 12))
        expect(row.sort_key).toBe(id.slice(0, 16))
        expect(Buffer.from(row.secret_hash as Uint8Array).equals(sha256(id))).toBe(true)
        expect(t.app.credentialTools.box.open(row.token_sealed as Uint8Array, `agent-token:${caller.tenantId}:${row.sort_key}`)).toBe(id)
        const otherRow = rows.rows[1 - index]!
        expect(() => t.app.credentialTools.box.open(row.token_sealed as Uint8Array, `agent-token:${caller.tenantId}:${otherRow.sort_key}`)).toThrow()
      })
    })
  })

  describe('audit log', () => {
    it('logs changes with the accessor, _who and _why, and never a token (URLs and markers redacted)', async () => {
      const lines: string[] = []
      const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
      const logged = await buildApp({ config: t.config, db: t.app.db, logger: pino(loggerOptions({ logLevel: 'info' }, FAMILIES), stream) })
      await logged.ready()
      try {
        const caller = await adminOf(t)
        const created = await call(logged, caller, 'POST', `${collection(caller.tenantId)}?_who=jdoe&_why=new%20agent`, { label: 'audited' })
        expect(created.statusCode).toBe(201)
        const id = String(created.headers['x-object-id'])
        const accessor = String(created.headers['tessera-credential-accessor'])
        await call(logged, caller, 'GET', `${collection(caller.tenantId)}?limit=1&marker=${id}`)
        await call(logged, caller, 'GET', tokenPath(caller, id))
        await call(logged, caller, 'PUT', `${tokenPath(caller, id)}?_who=jdoe&_why=rename`, { label: 'renamed' })
        await call(logged, caller, 'DELETE', `${tokenPath(caller, id)}?_who=jdoe&_why=retired`)

        const entries = lines.map((line) => JSON.parse(line))
        const changes = entries.filter((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('agent token '))
        expect(changes.map((entry) => [entry.msg, entry.accessor, entry.tenantId, entry.who, entry.why])).toEqual([
          ['agent token created', accessor, caller.tenantId, 'jdoe', 'new agent'],
          ['agent token updated', accessor, caller.tenantId, 'jdoe', 'rename'],
          ['agent token deleted', accessor, caller.tenantId, 'jdoe', 'retired']
        ])
        expect(lines.join('\n')).not.toContain(id.slice(16, 64))
      } finally {
        await logged.close()
      }
    })
  })

  describe('behind PUBLIC_URL with a path', () => {
    it('keeps Location\'s path exactly /v1.0/{tenantId}/agent_tokens/{id}; next_href follows the catalog URL', async () => {
      const mounted = await setupTestApp({ env: { PUBLIC_URL: 'https://tessera.example.com/monitoring' } })
      try {
        const caller = await adminOf(mounted)
        const created = await call(mounted.app, caller, 'POST', collection(caller.tenantId), {})
        const id = String(created.headers['x-object-id'])
        expect(created.headers.location).toBe(`https://tessera.example.com/v1.0/${caller.tenantId}/agent_tokens/${id}`)
        const next = [id, await createToken(mounted.app, caller)].sort()[1]
        const page = (await call(mounted.app, caller, 'GET', `${collection(caller.tenantId)}?limit=1`)).json()
        expect(page.metadata.next_href).toBe(`https://tessera.example.com/monitoring/v1.0/${caller.tenantId}/agent_tokens?limit=1&marker=${next}`)
      } finally {
        await mounted.close()
      }
    })
  })

  describe('over a real socket', () => {
    function raw (url: string, method: string, token: string, body?: string): Promise<{ status: number, headers: Record<string, string>, body: string }> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { 'x-auth-token': token }
        if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
        const request = httpRequest(url, { method, headers }, (response) => {
          let text = ''
          response.on('data', (chunk) => { text += chunk })
          response.on('end', () => {
            const pairs: Record<string, string> = {}
            for (let i = 0; i < response.rawHeaders.length; i += 2) pairs[response.rawHeaders[i]!.toLowerCase()] = response.rawHeaders[i + 1]!
            resolve({ status: response.statusCode ?? 0, headers: pairs, body: text })
          })
        })
        request.on('error', reject)
        request.end(body)
      })
    }

    it('sends Content-Type: text/plain and Content-Length: 0 on the wire for 201 and both 204s', async () => {
      const baseUrl = await listen(t.app)
      const created = await raw(`${baseUrl}${collection(admin.tenantId)}`, 'POST', admin.token, '{"label":"wire"}')
      const id = created.headers['x-object-id']!
      const updated = await raw(`${baseUrl}${tokenPath(admin, id)}`, 'PUT', admin.token, '{"label":"wired"}')
      const deleted = await raw(`${baseUrl}${tokenPath(admin, id)}`, 'DELETE', admin.token)
      for (const [response, status] of [[created, 201], [updated, 204], [deleted, 204]] as const) {
        expect(response.status).toBe(status)
        expect(response.headers['content-type']).toBe('text/plain')
        expect(response.headers['content-length']).toBe('0')
        expect(response.headers['transfer-encoding']).toBeUndefined()
        expect(response.body).toBe('')
        expect(response.headers['x-response-id']).toMatch(/^\.rh-/)
      }
      expect(created.headers.location).toBe(`${baseUrl}/v1.0/${admin.tenantId}/agent_tokens/${id}`)
      expect(updated.headers.location).toBe(created.headers.location)
    })
  })
})
