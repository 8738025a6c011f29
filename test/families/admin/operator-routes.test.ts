import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAccount, insertUser, superAdminSession, tenantSession, unique, type Login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { MAX_LISTED_FAILURES } from '../../../src/families/admin/maintenance-routes.js'
import { createToken, newCaller } from '../astra/helpers.js'
import { call, errorBody, FORBIDDEN, UNAUTHENTICATED } from './admin-helpers.js'

/** The routes the CLI needs through a server: lookups by id or name, users of every account, and what spans every account. */

let t: TestApp
let superAdmin: Login
let tenant: Awaited<ReturnType<typeof tenantSession>>
beforeAll(async () => {
  t = await setupTestApp()
  superAdmin = await superAdminSession(t.app)
  tenant = await tenantSession(t.app, ['admin'])
})
afterAll(() => t?.close())

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT/)

describe('GET /admin/v1/lookup/accounts/{ref}', () => {
  it('finds an account by id or by name for its admin and a super-admin', async () => {
    for (const [token, ref] of [[superAdmin.token, tenant.account.name], [tenant.token, tenant.account.id], [tenant.token, tenant.account.name]] as const) {
      const response = await call(t.app, token, 'GET', `/lookup/accounts/${encodeURIComponent(ref)}`)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ id: tenant.account.id, name: tenant.account.name, enabled: true, createdAt: ISO })
    }
  })

  it('answers another account\'s admin as for an unknown account, and 401 without a token', async () => {
    const other = await insertAccount(t.app.db)
    const hidden = await call(t.app, tenant.token, 'GET', `/lookup/accounts/${other.name}`)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toEqual(errorBody(404, `account ${other.name} does not exist`))
    const unknown = await call(t.app, superAdmin.token, 'GET', '/lookup/accounts/no-such-account')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    const anonymous = await call(t.app, undefined, 'GET', `/lookup/accounts/${other.id}`)
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json()).toEqual(UNAUTHENTICATED)
  })
})

describe('GET /admin/v1/lookup/users/{ref}', () => {
  it('finds a user by name with their home roles, for their account\'s admin only', async () => {
    const user = await insertUser(t.app.db, { accountId: tenant.account.id, roles: ['member'] })
    const found = await call(t.app, tenant.token, 'GET', `/lookup/users/${user.user.name}`)
    expect(found.statusCode).toBe(200)
    expect(found.json()).toEqual({ id: user.user.id, name: user.user.name, accountId: tenant.account.id, email: null, roles: ['member'], enabled: true, createdAt: ISO })
    const stranger = await insertUser(t.app.db, { accountId: (await insertAccount(t.app.db)).id })
    const hidden = await call(t.app, tenant.token, 'GET', `/lookup/users/${stranger.user.name}`)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toEqual(errorBody(404, `user ${stranger.user.name} does not exist`))
    expect((await call(t.app, superAdmin.token, 'GET', `/lookup/users/${stranger.user.id}`)).statusCode).toBe(200)
  })
})

describe('GET /admin/v1/users', () => {
  it('lists users of every account with their roles on every account, for a super-admin', async () => {
    const home = await insertAccount(t.app.db)
    const user = await insertUser(t.app.db, { accountId: home.id, roles: ['member'] })
    const response = await call(t.app, superAdmin.token, 'GET', `/users?account=${home.id}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ items: [{ id: user.user.id, name: user.user.name, accountId: home.id, email: null, roles: { [home.id]: ['member'] }, enabled: true, createdAt: ISO }], nextCursor: null })
    const paged = await call(t.app, superAdmin.token, 'GET', '/users?limit=1')
    expect(paged.statusCode).toBe(200)
    expect(paged.json().items).toHaveLength(1)
    expect(paged.headers.link).toMatch(/rel="next"/)
  })

  it('lets an account admin list their own account\'s users only', async () => {
    expect((await call(t.app, tenant.token, 'GET', `/users?account=${tenant.account.id}`)).statusCode).toBe(200)
    for (const query of ['', `?account=${(await insertAccount(t.app.db)).id}`]) {
      const refused = await call(t.app, tenant.token, 'GET', `/users${query}`)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(FORBIDDEN)
    }
    const unknown = await call(t.app, superAdmin.token, 'GET', '/users?account=nowhere')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual(errorBody(404, 'account nowhere does not exist'))
  })
})

describe('a user\'s Astra tokens on every account', () => {
  it('lists and revokes them for a super-admin; 403 for an account admin; 404 for an unknown token', async () => {
    const caller = await newCaller(t.app)
    const token = await createToken(t.app, caller)
    expect((await call(t.app, tenant.token, 'GET', `/users/${caller.userId}/astra-tokens`)).json()).toEqual(FORBIDDEN)
    const listed = await call(t.app, superAdmin.token, 'GET', `/users/${caller.userId}/astra-tokens`)
    expect(listed.statusCode).toBe(200)
    expect(listed.json()).toEqual({ items: [expect.objectContaining({ id: token.id, accountId: caller.accountId, userId: caller.userId })], nextCursor: null })
    expect((await call(t.app, superAdmin.token, 'DELETE', `/users/${caller.userId}/astra-tokens/${token.id}`)).statusCode).toBe(204)
    const again = await call(t.app, superAdmin.token, 'DELETE', `/users/${caller.userId}/astra-tokens/${token.id}`)
    expect(again.statusCode).toBe(404)
    expect(again.json()).toEqual(errorBody(404, `user ${caller.userId} (${caller.user.user.name}) has no Astra token ${token.id}`))
    const nobody = randomUUID()
    const unknownUser = await call(t.app, superAdmin.token, 'GET', `/users/${nobody}/astra-tokens`)
    expect(unknownUser.statusCode).toBe(404)
    expect(unknownUser.json()).toEqual(errorBody(404, `user ${nobody} does not exist`))
  })
})

describe('retention, export and import (super-admin)', () => {
  it('refuses an account admin each of them', async () => {
    for (const [method, url] of [['POST', '/retention/purge'], ['GET', '/export'], ['POST', '/import']] as const) {
      const refused = await call(t.app, tenant.token, method, url)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(FORBIDDEN)
    }
  })

  it('counts what a purge would remove', async () => {
    const response = await call(t.app, superAdmin.token, 'POST', '/retention/purge?dryRun=true')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      dryRun: true,
      cutoffs: { auditEvents: t.config.retention.auditDays === 0 ? null : ISO, endedCredentials: ISO },
      purged: { auditEvents: expect.any(Number), sessions: expect.any(Number), astraTokens: expect.any(Number), hostFactoryTokens: expect.any(Number), credentialUsage: expect.any(Number) }
    })
  })

  it('exports JSON lines, header first, and imports them back (every line skipped, as it exists)', async () => {
    const exported = await call(t.app, superAdmin.token, 'GET', '/export')
    expect(exported.statusCode).toBe(200)
    expect(exported.headers['content-type']).toBe('application/x-ndjson')
    const lines = exported.body.trim().split('\n').map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({ type: 'tessera-export', source: 'tessera' })
    expect(lines.some((line) => line.type === 'account' && line.id === tenant.account.id)).toBe(true)

    const imported = await t.app.inject({ method: 'POST', url: '/admin/v1/import?dryRun=true', headers: { 'x-auth-token': superAdmin.token, 'content-type': 'application/x-ndjson' }, payload: exported.body })
    expect(imported.statusCode).toBe(200)
    const { failures, summary } = imported.json()
    expect(failures).toEqual([])
    expect(summary).toMatchObject({ failed: 0, lines: lines.length, counts: { account: { imported: 0, skipped: lines.filter((line) => line.type === 'account').length, failed: 0 } } })
  })

  it('imports a new account, and reports failed lines', async () => {
    const header = { type: 'tessera-export', version: 1, exportedAt: new Date().toISOString(), source: 'tessera' }
    const id = randomUUID()
    const body = [header, { type: 'account', id, name: unique('acct') }, { type: 'account', id: 'bad id!', name: 'x' }].map((line) => JSON.stringify(line)).join('\n')
    const response = await t.app.inject({ method: 'POST', url: '/admin/v1/import', headers: { 'x-auth-token': superAdmin.token, 'content-type': 'application/x-ndjson' }, payload: body })
    expect(response.statusCode).toBe(200)
    expect(response.json().failures).toEqual([{ line: 3, type: 'account', reason: 'id must match pattern "^[A-Za-z0-9._:-]{1,64}$"' }])
    expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${id}`)).statusCode).toBe(200)
  })

  it('lists the first 1000 failed lines, and counts them all', async () => {
    const header = { type: 'tessera-export', version: 1, exportedAt: new Date().toISOString(), source: 'tessera' }
    const bad = Array.from({ length: 1003 }, () => ({ type: 'account', id: 'bad id!', name: 'x' }))
    const body = [header, ...bad].map((line) => JSON.stringify(line)).join('\n')
    const response = await t.app.inject({ method: 'POST', url: '/admin/v1/import?dryRun=true', headers: { 'x-auth-token': superAdmin.token, 'content-type': 'application/x-ndjson' }, payload: body })
    expect(response.statusCode).toBe(200)
    const { failures, summary } = response.json()
    expect(failures).toHaveLength(MAX_LISTED_FAILURES)
    expect(failures.at(-1)).toEqual({ line: MAX_LISTED_FAILURES + 1, type: 'account', reason: 'id must match pattern "^[A-Za-z0-9._:-]{1,64}$"' })
    expect(summary).toMatchObject({ failed: 1003, lines: 1004 })
  })

  it('answers 400 to a body that is not JSON lines, or not an export', async () => {
    const json = await call(t.app, superAdmin.token, 'POST', '/import', { type: 'account' })
    expect(json.statusCode).toBe(400)
    expect(json.json()).toEqual(errorBody(400, 'the body must be JSON lines, sent as application/x-ndjson'))
    const notExport = await t.app.inject({ method: 'POST', url: '/admin/v1/import', headers: { 'x-auth-token': superAdmin.token, 'content-type': 'application/x-ndjson' }, payload: '{"type":"account"}\n' })
    expect(notExport.statusCode).toBe(400)
    expect(notExport.json()).toMatchObject({ statusCode: 400, code: 'TESSERA_INVALID_INPUT' })
  })
})
