import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAccount, insertTenantUser, login, type Login, superAdminSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, errorBody, loginWithPassword, UNAUTHENTICATED } from './admin-helpers.js'

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const ID_PATTERN_MESSAGE = 'must match pattern "^[A-Za-z0-9._:-]{1,64}$"'

describe('admin API: accounts', () => {
  let t: TestApp
  let superAdmin: Login

  beforeAll(async () => {
    t = await setupTestApp()
    superAdmin = await superAdminSession(t.app)
  })
  afterAll(() => t?.close())

  const newId = () => String(Date.now()) + String(Math.floor(Math.random() * 1e6)).padStart(6, '0')

  describe('POST /admin/v1/accounts', () => {
    it('creates an account with the id given (a numeric Rackspace tenant id)', async () => {
      const id = newId()
      const name = unique('acct')
      const response = await call(t.app, superAdmin.token, 'POST', '/accounts', { id, name })
      expect(response.statusCode).toBe(201)
      const body = response.json()
      expect(body).toEqual({ id, name, enabled: true, createdAt: expect.stringMatching(ISO_TIMESTAMP) })

      const fetched = await call(t.app, superAdmin.token, 'GET', `/accounts/${id}`)
      expect(fetched.statusCode).toBe(200)
      expect(fetched.json()).toEqual(body)
    })

    it('generates an id when none is given', async () => {
      const response = await call(t.app, superAdmin.token, 'POST', '/accounts', { name: unique('acct') })
      expect(response.statusCode).toBe(201)
      expect(response.json().id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    })

    it.each([
      ['no body', undefined, 'body must be object'],
      ['no name', { id: '42' }, 'body/name must have required property \'name\''],
      ['a numeric name', { name: 42 }, 'body/name must be string'],
      ['an empty name', { name: '' }, 'body/name must NOT have fewer than 1 characters'],
      ['a name over 64 characters', { name: 'n'.repeat(65) }, 'body/name must NOT have more than 64 characters'],
      ['an id with a space', { name: 'acct', id: 'a b' }, `body/id ${ID_PATTERN_MESSAGE}`],
      ['an id over 64 characters', { name: 'acct', id: '1'.repeat(65) }, `body/id ${ID_PATTERN_MESSAGE}`],
      ['a numeric id', { name: 'acct', id: 42 }, 'body/id must be string'],
      ['an unknown property', { name: 'acct', enabled: false }, 'body/enabled must NOT have additional properties']
    ])('refuses %s with 400', async (_case, payload, message) => {
      const response = await call(t.app, superAdmin.token, 'POST', '/accounts', payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, message))
    })

    it('refuses a body that is not JSON with 400', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/admin/v1/accounts',
        headers: { 'x-auth-token': superAdmin.token, 'content-type': 'application/json' },
        payload: '{"name": '
      })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, 'The request body is not valid JSON.'))
    })

    it('refuses a taken id or name with 409 and creates nothing', async () => {
      const existing = await insertAccount(t.app.db)
      const freshId = newId()

      const sameId = await call(t.app, superAdmin.token, 'POST', '/accounts', { id: existing.id, name: unique('acct') })
      expect(sameId.statusCode).toBe(409)
      expect(sameId.json()).toEqual(errorBody(409, `an account with id ${existing.id} already exists`))

      const sameName = await call(t.app, superAdmin.token, 'POST', '/accounts', { id: freshId, name: existing.name })
      expect(sameName.statusCode).toBe(409)
      expect(sameName.json()).toEqual(errorBody(409, `an account with name ${existing.name} already exists`))
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${freshId}`)).statusCode).toBe(404)
    })
  })

  describe('GET /admin/v1/accounts', () => {
    it('walks every page to the end, each account once, following the Link header', async () => {
      const prefix = unique('page')
      const created = new Set<string>()
      for (let i = 0; i < 7; i++) created.add((await insertAccount(t.app.db, { id: `${prefix}-${i}` })).id)

      const seen: string[] = []
      let url: string | undefined = '/admin/v1/accounts?limit=3'
      let pages = 0
      while (url !== undefined) {
        const response = await t.app.inject({ method: 'GET', url, headers: { 'x-auth-token': superAdmin.token } })
        expect(response.statusCode).toBe(200)
        const { items, nextCursor } = response.json() as { items: Array<{ id: string, createdAt: string }>, nextCursor: string | null }
        pages++
        expect(items.length).toBeLessThanOrEqual(3)
        seen.push(...items.map((item) => item.id))
        if (nextCursor === null) {
          expect(response.headers.link).toBeUndefined()
          url = undefined
        } else {
          expect(items).toHaveLength(3)
          expect(nextCursor).toBe(items.at(-1)!.id)
          const next = `/admin/v1/accounts?${new URLSearchParams({ limit: '3', after: nextCursor })}`
          expect(response.headers.link).toBe(`<http://localhost:80${next}>; rel="next"`)
          url = next
        }
      }
      expect(new Set(seen).size).toBe(seen.length)
      expect(seen).toEqual(expect.arrayContaining([...created, t.config.admin.account]))
      expect(pages).toBe(Math.ceil(seen.length / 3))

      // The same walk in one page gives the same accounts in the same order.
      const all = await call(t.app, superAdmin.token, 'GET', '/accounts?limit=1000')
      expect(all.json().items.map((item: { id: string }) => item.id)).toEqual(seen)
    })

    it('takes nextCursor as after (exclusive)', async () => {
      const first = await call(t.app, superAdmin.token, 'GET', '/accounts?limit=1')
      const cursor = first.json().nextCursor as string
      expect(first.json().items).toEqual([expect.objectContaining({ id: cursor })])
      const second = await call(t.app, superAdmin.token, 'GET', `/accounts?limit=1&after=${encodeURIComponent(cursor)}`)
      expect(second.statusCode).toBe(200)
      expect(second.json().items).toHaveLength(1)
      expect(second.json().items[0].id).not.toBe(cursor)
    })

    it.each(['0', '1001', 'ten', '-1', '1.5'])('refuses limit=%s with 400', async (limit) => {
      const response = await call(t.app, superAdmin.token, 'GET', `/accounts?limit=${limit}`)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, 'limit must be an integer between 1 and 1000'))
    })
  })

  describe('GET /admin/v1/accounts/{accountId}', () => {
    it('returns the account and nothing more', async () => {
      const account = await insertAccount(t.app.db)
      const response = await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}`)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ id: account.id, name: account.name, enabled: true, createdAt: account.created_at.toISOString() })
    })

    it('answers 404 for an unknown account', async () => {
      const response = await call(t.app, superAdmin.token, 'GET', '/accounts/no-such-account')
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    })

    it('answers 400 for an id outside the pattern', async () => {
      const response = await call(t.app, superAdmin.token, 'GET', '/accounts/not%20an%20id')
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, `params/accountId ${ID_PATTERN_MESSAGE}`))
    })
  })

  describe('PATCH /admin/v1/accounts/{accountId}', () => {
    it('renames, disables and enables an account', async () => {
      const account = await insertAccount(t.app.db)
      const name = unique('renamed')

      const renamed = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${account.id}`, { name })
      expect(renamed.statusCode).toBe(200)
      expect(renamed.json()).toEqual({ id: account.id, name, enabled: true, createdAt: account.created_at.toISOString() })

      expect((await call(t.app, superAdmin.token, 'PATCH', `/accounts/${account.id}`, { enabled: false })).json()).toMatchObject({ name, enabled: false })
      expect((await call(t.app, superAdmin.token, 'PATCH', `/accounts/${account.id}`, { enabled: true })).json()).toMatchObject({ name, enabled: true })
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}`)).json()).toMatchObject({ name, enabled: true })
    })

    it('refuses a name another account has with 409', async () => {
      const account = await insertAccount(t.app.db)
      const other = await insertAccount(t.app.db)
      const response = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${account.id}`, { name: other.name })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, `an account with name ${other.name} already exists`))
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}`)).json().name).toBe(account.name)
    })

    it.each([
      ['a string for enabled', { enabled: 'no' }, 'body/enabled must be boolean'],
      ['an id change', { id: 'new-id' }, 'body/id must NOT have additional properties'],
      ['an empty name', { name: '' }, 'body/name must NOT have fewer than 1 characters']
    ])('refuses %s with 400', async (_case, payload, message) => {
      const account = await insertAccount(t.app.db)
      const response = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${account.id}`, payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, message))
    })

    it('answers 404 for an unknown account', async () => {
      const response = await call(t.app, superAdmin.token, 'PATCH', '/accounts/no-such-account', { enabled: false })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    })

    it('refuses to disable the administrators\' account with 409', async () => {
      const adminAccount = t.config.admin.account
      const response = await call(t.app, superAdmin.token, 'PATCH', `/accounts/${adminAccount}`, { enabled: false })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, `account ${adminAccount} is the administrators' account and cannot be disabled`))
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${adminAccount}`)).json().enabled).toBe(true)
    })
  })

  describe('DELETE /admin/v1/accounts/{accountId}', () => {
    it('deletes an account with its users and their sessions', async () => {
      const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
      const session = await login(t.app, { username: user.name, password, tenantId: account.id })

      const response = await call(t.app, superAdmin.token, 'DELETE', `/accounts/${account.id}`)
      expect(response.statusCode).toBe(204)
      expect(response.body).toBe('')

      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${account.id}`)).statusCode).toBe(404)
      expect((await loginWithPassword(t.app, user.name, password)).statusCode).toBe(401)
      const validated = await t.app.inject({ method: 'GET', url: '/admin/v1/accounts', headers: { 'x-auth-token': session.token } })
      expect(validated.statusCode).toBe(401)
      expect(validated.json()).toEqual(UNAUTHENTICATED)
    })

    it('answers 404 for an unknown account', async () => {
      const response = await call(t.app, superAdmin.token, 'DELETE', '/accounts/no-such-account')
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    })

    it('refuses to delete the administrators\' account with 409', async () => {
      const adminAccount = t.config.admin.account
      const response = await call(t.app, superAdmin.token, 'DELETE', `/accounts/${adminAccount}`)
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, `account ${adminAccount} is the administrators' account and cannot be deleted`))
      expect((await call(t.app, superAdmin.token, 'GET', `/accounts/${adminAccount}`)).statusCode).toBe(200)
    })
  })
})
