import { randomUUID } from 'node:crypto'
import { openApiKey } from '../../../src/core/credentials.js'
import { findSealedApiKey } from '../../../src/db/repositories/api-keys.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/core/secrets.js'
import type { AccountRow } from '../../../src/db/repositories/accounts.js'
import { insertAccount, insertTenantUser, insertUser, type Login, superAdminSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, errorBody, loginWithApiKey, loginWithPassword } from './admin-helpers.js'

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const USER_KEYS = ['accountId', 'createdAt', 'email', 'enabled', 'id', 'name', 'roles']

describe('admin API: users', () => {
  let t: TestApp
  let superAdmin: Login
  let account: AccountRow

  beforeAll(async () => {
    t = await setupTestApp()
    superAdmin = await superAdminSession(t.app)
    account = await insertAccount(t.app.db)
  })
  afterAll(() => t?.close())

  const usersOf = (accountId: string) => `/accounts/${accountId}/users`

  describe('POST /admin/v1/accounts/{accountId}/users', () => {
    it('creates a user with roles on the account and shows the API key once', async () => {
      const name = unique('alice')
      const password = 'correct horse battery'
      const response = await call(t.app, superAdmin.token, 'POST', usersOf(account.id), {
        name, password, email: 'alice@example.com', roles: ['member', 'billing', 'member']
      })
      expect(response.statusCode).toBe(201)
      const created = response.json()
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        name,
        accountId: account.id,
        email: 'alice@example.com',
        roles: ['billing', 'member'],
        enabled: true,
        createdAt: expect.stringMatching(ISO_TIMESTAMP),
        apiKey: expect.stringMatching(/^[0-9a-f]{32}$/),
        apiKeyAccessor: expect.stringMatching(/^uak_[0-9a-f]{32}$/)
      })

      const fetched = await call(t.app, superAdmin.token, 'GET', `${usersOf(account.id)}/${created.id}`)
      const { apiKey, apiKeyAccessor: _accessor, ...shown } = created
      expect(fetched.json()).toEqual(shown)

      expect((await loginWithPassword(t.app, name, password, account.id)).statusCode).toBe(200)
      expect((await loginWithApiKey(t.app, name, apiKey, account.id)).statusCode).toBe(200)
    })

    it('stores the API key only as its SHA-256 and a copy sealed to the user, and an argon2id hash of the password', async () => {
      const password = 'another long passphrase'
      const created = (await call(t.app, superAdmin.token, 'POST', usersOf(account.id), { name: unique('hashed'), password })).json()
      const row = await t.app.db.selectFrom('users').innerJoin('api_keys', 'api_keys.user_id', 'users.id')
        .select(['users.password_hash', 'api_keys.key_hash', 'api_keys.key_sealed']).where('users.id', '=', created.id).executeTakeFirstOrThrow()
      expect(Buffer.from(row.key_hash).equals(sha256(created.apiKey))).toBe(true)
      expect(Buffer.from(row.key_sealed!).includes(Buffer.from(created.apiKey))).toBe(false)
      expect(openApiKey(t.app.credentialTools.box, created.id, row.key_sealed!)).toBe(created.apiKey)
      // Bound to its user: the same ciphertext does not open as another user's key.
      expect(() => openApiKey(t.app.credentialTools.box, randomUUID(), row.key_sealed!)).toThrow()
      expect(row.password_hash).toMatch(/^\$argon2id\$/)
      expect(row.password_hash).not.toContain(password)
    })

    it('creates a user without a password, who can log in only with the API key', async () => {
      const name = unique('robot')
      const response = await call(t.app, superAdmin.token, 'POST', usersOf(account.id), { name, roles: ['member'], enabled: true })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toMatchObject({ name, email: null, roles: ['member'], enabled: true })
      expect((await loginWithApiKey(t.app, name, response.json().apiKey)).statusCode).toBe(200)
      expect((await loginWithPassword(t.app, name, 'any password at all')).statusCode).toBe(401)
    })

    it('creates a disabled user, who cannot log in', async () => {
      const name = unique('dormant')
      const response = await call(t.app, superAdmin.token, 'POST', usersOf(account.id), { name, password: 'dormant password', enabled: false })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toMatchObject({ roles: [], enabled: false })
      expect((await loginWithPassword(t.app, name, 'dormant password')).statusCode).toBe(401)
    })

    it.each([
      ['no name', { password: 'long enough' }, 'body/name must have required property \'name\''],
      ['an empty name', { name: '' }, 'body/name must NOT have fewer than 1 characters'],
      ['a name over 64 characters', { name: 'n'.repeat(65) }, 'body/name must NOT have more than 64 characters'],
      ['a password under 8 characters', { name: 'bob', password: 'seven77' }, 'body/password must NOT have fewer than 8 characters'],
      ['a password over 4096 characters', { name: 'bob', password: 'p'.repeat(4097) }, 'body/password must NOT have more than 4096 characters'],
      ['an invalid email', { name: 'bob', email: 'not-an-email' }, 'body/email must match format "email"'],
      ['an email over 254 characters', { name: 'bob', email: `${'e'.repeat(64)}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.com` }, 'body/email must NOT have more than 254 characters'],
      ['a role name with a space', { name: 'bob', roles: ['bad role'] }, 'body/roles/0 must match pattern "^[A-Za-z0-9._:-]{1,64}$"'],
      ['roles that are not a list', { name: 'bob', roles: 'admin' }, 'body/roles must be array'],
      ['a string for enabled', { name: 'bob', enabled: 'yes' }, 'body/enabled must be boolean'],
      ['an unknown property', { name: 'bob', apiKey: '0'.repeat(32) }, 'body/apiKey must NOT have additional properties']
    ])('refuses %s with 400', async (_case, payload, message) => {
      const response = await call(t.app, superAdmin.token, 'POST', usersOf(account.id), payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, message))
    })

    it('answers 404 for an unknown account', async () => {
      const response = await call(t.app, superAdmin.token, 'POST', usersOf('no-such-account'), { name: unique('orphan') })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    })

    it('refuses a user name taken in any account with 409, leaving nothing behind', async () => {
      const other = await insertTenantUser(t.app.db)
      const target = await insertAccount(t.app.db)
      const response = await call(t.app, superAdmin.token, 'POST', usersOf(target.id), { name: other.user.name, password: 'long enough', roles: ['member'] })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, `a user with name ${other.user.name} already exists`))
      expect((await call(t.app, superAdmin.token, 'GET', usersOf(target.id))).json()).toEqual({ items: [], nextCursor: null })
      expect(await t.app.db.selectFrom('role_assignments').select('role').where('account_id', '=', target.id).execute()).toEqual([])
    })
  })

  describe('GET /admin/v1/accounts/{accountId}/users', () => {
    it('walks every page to the end, each user once, with their roles', async () => {
      const own = await insertAccount(t.app.db)
      const created = new Map<string, string[]>()
      for (let i = 0; i < 7; i++) {
        const roles = i % 2 === 0 ? ['member'] : ['admin', 'member']
        created.set((await insertUser(t.app.db, { accountId: own.id, roles })).user.id, roles)
      }
      await insertUser(t.app.db, { accountId: account.id })

      const seen: string[] = []
      let after: string | null | undefined
      const sizes: number[] = []
      do {
        const query = new URLSearchParams({ limit: '3', ...(after ? { after } : {}) })
        const response = await call(t.app, superAdmin.token, 'GET', `${usersOf(own.id)}?${query}`)
        expect(response.statusCode).toBe(200)
        const page = response.json() as { items: Array<{ id: string, roles: string[], accountId: string }>, nextCursor: string | null }
        for (const item of page.items) {
          expect(Object.keys(item).sort()).toEqual(USER_KEYS)
          expect(item.accountId).toBe(own.id)
          expect(item.roles).toEqual(created.get(item.id))
        }
        expect(response.headers.link).toBe(page.nextCursor === null
          ? undefined
          : `<http://localhost:80/admin/v1${usersOf(own.id)}?${new URLSearchParams({ limit: '3', after: page.nextCursor })}>; rel="next"`)
        seen.push(...page.items.map((item) => item.id))
        sizes.push(page.items.length)
        after = page.nextCursor
      } while (after !== null)

      expect(sizes).toEqual([3, 3, 1])
      expect(seen.slice().sort()).toEqual([...created.keys()].sort())
    })

    it('answers 404 for an unknown account', async () => {
      const response = await call(t.app, superAdmin.token, 'GET', usersOf('no-such-account'))
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    })

    it('refuses a bad limit with 400', async () => {
      const response = await call(t.app, superAdmin.token, 'GET', `${usersOf(account.id)}?limit=5000`)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, 'limit must be an integer between 1 and 1000'))
    })
  })

  describe('GET /admin/v1/accounts/{accountId}/users/{userId}', () => {
    it('returns the user without any secret', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: ['member'], email: 'carol@example.com' })
      const response = await call(t.app, superAdmin.token, 'GET', `${usersOf(account.id)}/${fixture.user.id}`)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        id: fixture.user.id,
        name: fixture.user.name,
        accountId: account.id,
        email: 'carol@example.com',
        roles: ['member'],
        enabled: true,
        createdAt: fixture.user.created_at.toISOString()
      })
    })

    it('answers 404 for an unknown user and for a user of another account', async () => {
      const stranger = await insertTenantUser(t.app.db)
      for (const userId of [randomUUID(), stranger.user.id]) {
        const response = await call(t.app, superAdmin.token, 'GET', `${usersOf(account.id)}/${userId}`)
        expect(response.statusCode).toBe(404)
        expect(response.json()).toEqual(errorBody(404, `user ${userId} does not exist`))
      }
    })

    it('answers 400 for a user id that is not a lowercase UUID v4', async () => {
      for (const userId of ['bad%20id', '5f2b9c0e8d7a4b3c9e1f0a2b3c4d5e6f', randomUUID().toUpperCase()]) {
        const response = await call(t.app, superAdmin.token, 'GET', `${usersOf(account.id)}/${userId}`)
        expect(response.statusCode).toBe(400)
        expect(response.json()).toEqual(errorBody(400, 'params/userId must match pattern "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"'))
      }
    })
  })

  describe('PATCH /admin/v1/accounts/{accountId}/users/{userId}', () => {
    it('renames a user and changes or removes their email', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
      const url = `${usersOf(account.id)}/${fixture.user.id}`
      const name = unique('renamed')

      const renamed = await call(t.app, superAdmin.token, 'PATCH', url, { name, email: 'dave@example.com' })
      expect(renamed.statusCode).toBe(200)
      expect(renamed.json()).toEqual({
        id: fixture.user.id, name, accountId: account.id, email: 'dave@example.com', roles: ['member'], enabled: true, createdAt: fixture.user.created_at.toISOString()
      })
      expect((await call(t.app, superAdmin.token, 'PATCH', url, { email: null })).json().email).toBeNull()
      expect((await loginWithPassword(t.app, name, fixture.password)).statusCode).toBe(200)
    })

    it('changes a password: the old one stops working, the new one works', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
      const url = `${usersOf(account.id)}/${fixture.user.id}`
      expect((await loginWithPassword(t.app, fixture.user.name, fixture.password)).statusCode).toBe(200)

      const changed = await call(t.app, superAdmin.token, 'PATCH', url, { password: 'a brand new passphrase' })
      expect(changed.statusCode).toBe(200)
      expect(Object.keys(changed.json()).sort()).toEqual(USER_KEYS)

      const old = await loginWithPassword(t.app, fixture.user.name, fixture.password)
      expect(old.statusCode).toBe(401)
      expect((await loginWithPassword(t.app, fixture.user.name, 'a brand new passphrase', account.id)).statusCode).toBe(200)
    })

    it('disables and re-enables a user', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id })
      const url = `${usersOf(account.id)}/${fixture.user.id}`
      expect((await call(t.app, superAdmin.token, 'PATCH', url, { enabled: false })).json().enabled).toBe(false)
      expect((await loginWithPassword(t.app, fixture.user.name, fixture.password)).statusCode).toBe(401)
      expect((await call(t.app, superAdmin.token, 'PATCH', url, { enabled: true })).json().enabled).toBe(true)
      expect((await loginWithPassword(t.app, fixture.user.name, fixture.password)).statusCode).toBe(200)
    })

    it('refuses a name another user has with 409 and changes nothing', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id })
      const other = await insertTenantUser(t.app.db)
      const url = `${usersOf(account.id)}/${fixture.user.id}`
      const response = await call(t.app, superAdmin.token, 'PATCH', url, { name: other.user.name, password: 'would be new password' })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual(errorBody(409, `a user with name ${other.user.name} already exists`))
      expect((await call(t.app, superAdmin.token, 'GET', url)).json().name).toBe(fixture.user.name)
      expect((await loginWithPassword(t.app, fixture.user.name, fixture.password)).statusCode).toBe(200)
    })

    it.each([
      ['a short password', { password: 'short' }, 'body/password must NOT have fewer than 8 characters'],
      ['an invalid email', { email: 'nope' }, 'body/email must match format "email"'],
      ['an account change', { accountId: 'elsewhere' }, 'body/accountId must NOT have additional properties'],
      ['a string for enabled', { enabled: 'false' }, 'body/enabled must be boolean']
    ])('refuses %s with 400', async (_case, payload, message) => {
      const fixture = await insertUser(t.app.db, { accountId: account.id })
      const response = await call(t.app, superAdmin.token, 'PATCH', `${usersOf(account.id)}/${fixture.user.id}`, payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual(errorBody(400, message))
    })

    it('answers 404 for a user of another account and changes nothing', async () => {
      const stranger = await insertTenantUser(t.app.db)
      const response = await call(t.app, superAdmin.token, 'PATCH', `${usersOf(account.id)}/${stranger.user.id}`, { enabled: false })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${stranger.user.id} does not exist`))
      expect((await loginWithPassword(t.app, stranger.user.name, stranger.password)).statusCode).toBe(200)
    })
  })

  describe('DELETE /admin/v1/accounts/{accountId}/users/{userId}', () => {
    it('deletes a user, who can no longer log in', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id })
      const url = `${usersOf(account.id)}/${fixture.user.id}`
      const response = await call(t.app, superAdmin.token, 'DELETE', url)
      expect(response.statusCode).toBe(204)
      expect(response.body).toBe('')
      expect((await call(t.app, superAdmin.token, 'GET', url)).statusCode).toBe(404)
      expect((await loginWithPassword(t.app, fixture.user.name, fixture.password)).statusCode).toBe(401)
      expect((await loginWithApiKey(t.app, fixture.user.name, fixture.apiKey)).statusCode).toBe(401)

      const again = await call(t.app, superAdmin.token, 'DELETE', url)
      expect(again.statusCode).toBe(404)
      expect(again.json()).toEqual(errorBody(404, `user ${fixture.user.id} does not exist`))
    })

    it('answers 404 for a user of another account and deletes nothing', async () => {
      const stranger = await insertTenantUser(t.app.db)
      const response = await call(t.app, superAdmin.token, 'DELETE', `${usersOf(account.id)}/${stranger.user.id}`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${stranger.user.id} does not exist`))
      expect((await call(t.app, superAdmin.token, 'GET', `${usersOf(stranger.account.id)}/${stranger.user.id}`)).statusCode).toBe(200)
    })
  })

  describe('POST /admin/v1/accounts/{accountId}/users/{userId}/api-key', () => {
    it('issues a new key that logs in, and the old key stops working at once', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
      expect((await loginWithApiKey(t.app, fixture.user.name, fixture.apiKey)).statusCode).toBe(200)

      const response = await call(t.app, superAdmin.token, 'POST', `${usersOf(account.id)}/${fixture.user.id}/api-key`)
      expect(response.statusCode).toBe(200)
      const { apiKey } = response.json()
      expect(response.json()).toEqual({ apiKey: expect.stringMatching(/^[0-9a-f]{32}$/), accessor: expect.stringMatching(/^uak_[0-9a-f]{32}$/) })
      expect(apiKey).not.toBe(fixture.apiKey)

      const withNew = await loginWithApiKey(t.app, fixture.user.name, apiKey, account.id)
      expect(withNew.statusCode).toBe(200)
      expect(withNew.json().access.user.id).toBe(fixture.user.id)
      const withOld = await loginWithApiKey(t.app, fixture.user.name, fixture.apiKey)
      expect(withOld.statusCode).toBe(401)
      const sealed = await findSealedApiKey(t.app.db, fixture.user.id)
      expect(openApiKey(t.app.credentialTools.box, fixture.user.id, sealed!)).toBe(apiKey)
    })

    it('keeps a key issued before sealed copies working for login, and the next rotation seals one', async () => {
      const fixture = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
      await t.app.db.updateTable('api_keys').set({ key_sealed: null }).where('user_id', '=', fixture.user.id).execute()
      expect((await loginWithApiKey(t.app, fixture.user.name, fixture.apiKey, account.id)).statusCode).toBe(200)
      expect(await findSealedApiKey(t.app.db, fixture.user.id)).toBeNull()

      const { apiKey } = (await call(t.app, superAdmin.token, 'POST', `${usersOf(account.id)}/${fixture.user.id}/api-key`)).json()
      expect(openApiKey(t.app.credentialTools.box, fixture.user.id, (await findSealedApiKey(t.app.db, fixture.user.id))!)).toBe(apiKey)
    })

    it('answers 404 for a user of another account and leaves their key alone', async () => {
      const stranger = await insertTenantUser(t.app.db)
      const response = await call(t.app, superAdmin.token, 'POST', `${usersOf(account.id)}/${stranger.user.id}/api-key`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual(errorBody(404, `user ${stranger.user.id} does not exist`))
      expect((await loginWithApiKey(t.app, stranger.user.name, stranger.apiKey)).statusCode).toBe(200)
    })
  })
})
