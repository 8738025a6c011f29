import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { purgeEndedAuthFailures } from '../../src/db/repositories/auth-failures.js'
import { UNAUTHORIZED } from '../../src/families/keystone/messages.js'
import { collectionPath } from '../families/astra/helpers.js'
import { grantRole } from '../../src/db/repositories/role-assignments.js'
import { insertAccount, insertTenantUser, unique } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const PER_USER = 3
const PER_CLIENT = 6
const WINDOW_SECONDS = 900
let now = Date.now()
let t: TestApp
let address = 0
/** A client address of its own for each test: counts never cross tests. */
const newClient = () => `198.51.100.${++address}`

beforeAll(async () => {
  t = await setupTestApp({
    env: { AUTH_FAILURES_PER_USER: String(PER_USER), AUTH_FAILURES_PER_CLIENT: String(PER_CLIENT), AUTH_FAILURE_WINDOW: `${WINDOW_SECONDS}s` },
    clock: () => new Date(now)
  })
})
afterAll(() => t.close())

function keystoneLogin (client: string, username: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { passwordCredentials: { username, password } } } })
}

const KEYSTONE_401 = { error: { message: UNAUTHORIZED, code: 401, title: 'Unauthorized' } }

/** Real password checks (a stored hash to check against), as opposed to the dummy ones of unknown names. */
function countRealPasswordChecks () {
  const passwords = t.app.credentialTools.passwords
  const verify = passwords.verify.bind(passwords)
  const checks = { count: 0 }
  passwords.verify = async (storedHash, password) => {
    if (storedHash) checks.count++
    return verify(storedHash, password)
  }
  return { checks, restore: () => { passwords.verify = verify } }
}

describe('failed logins per user name and client address', () => {
  it('refuses a user from one address after AUTH_FAILURES_PER_USER failures, until the window ends, and never elsewhere', async () => {
    const { user, password } = await insertTenantUser(t.app.db)
    const attacker = newClient()
    for (let attempt = 1; attempt < PER_USER; attempt++) {
      const refused = await keystoneLogin(attacker, user.name, 'wrong password')
      expect(refused.statusCode).toBe(401)
      expect(refused.headers['retry-after']).toBeUndefined()
      expect(refused.json()).toEqual(KEYSTONE_401)
    }
    // The failure that reaches the limit already says when to come back: Keystone's plain 401.
    const reached = await keystoneLogin(attacker, user.name, 'wrong password')
    expect(reached.statusCode).toBe(401)
    expect(reached.json()).toEqual(KEYSTONE_401)
    expect(reached.headers['www-authenticate']).toMatch(/^Keystone uri=/)
    expect(Number(reached.headers['retry-after'])).toBe(WINDOW_SECONDS)

    // Even the right password is refused from there, before it is checked…
    const blocked = await keystoneLogin(attacker, user.name, password)
    expect(blocked.statusCode).toBe(401)
    expect(blocked.json()).toEqual(KEYSTONE_401)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // …but the user, from their own address, is not locked out.
    expect((await keystoneLogin(newClient(), user.name, password)).statusCode).toBe(200)

    now += WINDOW_SECONDS * 1000
    const afterWindow = await keystoneLogin(attacker, user.name, password)
    expect(afterWindow.statusCode).toBe(200)
    expect(afterWindow.headers['retry-after']).toBeUndefined()
  })

  it('counts Conjur logins too, answering its empty 401 with Retry-After', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db)
    const client = newClient()
    const basic = (secret: string) => `Basic ${Buffer.from(`${user.name}:${secret}`).toString('base64')}`
    const conjurLogin = (secret: string) => t.app.inject({ url: `/authn/${account.name}/login`, remoteAddress: client, headers: { authorization: basic(secret) } })
    for (let attempt = 1; attempt < PER_USER; attempt++) expect((await conjurLogin('wrong')).statusCode).toBe(401)
    const reached = await conjurLogin('wrong')
    expect(reached.statusCode).toBe(401)
    expect(reached.body).toBe('')
    expect(Number(reached.headers['retry-after'])).toBeGreaterThan(0)
    const blocked = await conjurLogin(password)
    expect(blocked.statusCode).toBe(401)
    expect(blocked.body).toBe('')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // The API-key exchange is the same user from the same address: refused too, without checking the key.
    const exchange = await t.app.inject({ method: 'POST', url: `/authn/${account.name}/${user.name}/authenticate`, remoteAddress: client, payload: 'any-key' })
    expect(exchange.statusCode).toBe(401)
    expect(Number(exchange.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('keeps only hashes of user names in the shared store, and purges ended windows', async () => {
    const name = unique('typed-a-password-here')
    await keystoneLogin(newClient(), name, 'wrong')
    const rows = await t.app.db.selectFrom('auth_failures').select(['key', 'failures', 'window_ends_at']).execute()
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.some((row) => row.key.includes(name))).toBe(false)
    expect(rows.every((row) => /^(client:[0-9.]+|user:[A-Za-z0-9_-]{43}@[0-9.]+)$/.test(row.key))).toBe(true)

    const later = new Date(Math.max(...rows.map((row) => row.window_ends_at.getTime())) + 1)
    expect(await purgeEndedAuthFailures(t.app.db, later, 1000)).toBeGreaterThanOrEqual(rows.length)
    expect(await t.app.db.selectFrom('auth_failures').select('key').where('window_ends_at', '<=', later).execute()).toEqual([])
  })
})

describe('failed credentials per client address', () => {
  it('refuses a client after AUTH_FAILURES_PER_CLIENT failures, whatever the names, in every family\'s dialect', async () => {
    const client = newClient()
    for (let attempt = 1; attempt < PER_CLIENT; attempt++) expect((await keystoneLogin(client, unique('nobody'), 'x')).statusCode).toBe(401)
    expect(Number((await keystoneLogin(client, unique('nobody'), 'x')).headers['retry-after'])).toBe(WINDOW_SECONDS)

    // Refused before any check, whoever logs in from there.
    const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
    const login = await keystoneLogin(client, user.name, password)
    expect(login.statusCode).toBe(401)
    expect(login.json()).toEqual(KEYSTONE_401)

    // Rackspace Monitoring: rateLimitReached with the failure limit's real figures.
    const monitoring = await t.app.inject({ url: `/v1.0/${account.id}/agent_tokens`, remoteAddress: client, headers: { 'x-auth-token': 'f'.repeat(32) } })
    expect(monitoring.statusCode).toBe(429)
    expect(monitoring.json()).toEqual({ type: 'rateLimitReached', code: 429, message: 'Rate limit reached', details: 'Too many failed attempts; retry later.', txnId: monitoring.headers['x-response-id'] })
    expect(monitoring.headers).toMatchObject({ 'x-ratelimit-limit': String(PER_CLIENT), 'x-ratelimit-remaining': '0', 'x-ratelimit-window': '15 minutes', 'x-ratelimit-type': 'authentication' })
    expect(Number(monitoring.headers['retry-after'])).toBeGreaterThan(0)

    // NetApp Astra: an RFC 7807 problem, 429.
    const accountId = randomUUID()
    const astra = await t.app.inject({ url: collectionPath(accountId, randomUUID()), remoteAddress: client, headers: { authorization: 'Bearer bm90LWEtdG9rZW4=' } })
    expect(astra.statusCode).toBe(429)
    expect(astra.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(astra.json()).toEqual({ type: 'about:blank', title: 'Too Many Requests', detail: 'Too many failed attempts; retry later.', status: '429', correlationID: astra.headers['x-correlation-id'] })
    expect(Number(astra.headers['retry-after'])).toBeGreaterThan(0)

    // Conjur's access-token routes: the same text/plain-free empty 401 as any refused token.
    const conjur = await t.app.inject({ url: `/resources/${account.name}/host_factory/x`, remoteAddress: client, headers: { authorization: 'Token token="bm90"' } })
    expect(conjur.statusCode).toBe(401)
    expect(Number(conjur.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('counts refused X-Auth-Token and Bearer presentations, and still serves a blocked client its valid token', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
    const valid = (await keystoneLogin('127.0.0.1', user.name, password)).json().access.token.id as string
    const client = newClient()
    const tenants = (token: string) => t.app.inject({ url: '/v2.0/tenants', remoteAddress: client, headers: { 'x-auth-token': token } })
    for (let attempt = 1; attempt < PER_CLIENT; attempt++) {
      const refused = await tenants(`bogus${attempt}`)
      expect(refused.statusCode).toBe(401)
      expect(refused.headers['retry-after']).toBeUndefined()
    }
    const reached = await tenants('bogus-last')
    expect(reached.statusCode).toBe(401)
    expect(reached.json()).toEqual(KEYSTONE_401)
    expect(Number(reached.headers['retry-after'])).toBe(WINDOW_SECONDS)

    // A valid token proves what a guess cannot: it is served, and validating it asks no store.
    const served = await tenants(valid)
    expect(served.statusCode).toBe(200)
    expect(served.json().tenants.map((tenant: { id: string }) => tenant.id)).toContain(account.id)
  })

  it('is shared by replicas: failures counted by one refuse the login at another', async () => {
    const replica = await t.replica()
    const { user, password } = await insertTenantUser(t.app.db)
    const client = newClient()
    for (let attempt = 0; attempt < PER_USER; attempt++) await keystoneLogin(client, user.name, 'wrong')
    const elsewhere = await replica.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { passwordCredentials: { username: user.name, password } } } })
    expect(elsewhere.statusCode).toBe(401)
    expect(Number(elsewhere.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('the per-user limit counts the person, however the logins name them', () => {
  it('one count across Keystone names and ids, API-key logins, and Conjur on every account the user holds a role on', async () => {
    const { account: home, user, password, apiKey } = await insertTenantUser(t.app.db, ['admin'])
    const other = await insertAccount(t.app.db)
    await grantRole(t.app.db, { userId: user.id, accountId: other.id, role: 'member' })
    const client = newClient()
    const basic = (login: string, secret: string) => `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`
    const spy = countRealPasswordChecks()
    try {
      // PER_USER - 1 failures, each naming the user differently…
      expect((await keystoneLogin(client, user.name, 'wrong')).statusCode).toBe(401)
      expect((await t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { passwordCredentials: { userId: user.id, password: 'wrong' } } } })).statusCode).toBe(401)
      // …and the one that reaches the limit, through Conjur, on the other account, as `user/<name>`.
      const reached = await t.app.inject({ url: `/authn/${other.name}/login`, remoteAddress: client, headers: { authorization: basic(`user/${user.name}`, 'wrong') } })
      expect(reached.statusCode).toBe(401)
      expect(reached.body).toBe('')
      expect(Number(reached.headers['retry-after'])).toBe(WINDOW_SECONDS)
      expect(spy.checks.count).toBe(PER_USER)

      // From that address the user is locked out by every name and in every API, the right secret unchecked.
      const byId = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { passwordCredentials: { userId: user.id, password } } } })
      expect(byId.statusCode).toBe(401)
      expect(byId.json()).toEqual(KEYSTONE_401)
      expect(Number(byId.headers['retry-after'])).toBeGreaterThan(0)
      const byApiKey = await t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: client, payload: { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: user.name, apiKey } } } })
      expect(byApiKey.statusCode).toBe(401)
      expect(Number(byApiKey.headers['retry-after'])).toBeGreaterThan(0)
      const conjurHome = await t.app.inject({ method: 'POST', url: `/authn/${home.name}/${user.name}/authenticate`, remoteAddress: client, payload: apiKey })
      expect(conjurHome.statusCode).toBe(401)
      expect(Number(conjurHome.headers['retry-after'])).toBeGreaterThan(0)
      const conjurLogin = await t.app.inject({ url: `/authn/${home.name}/login`, remoteAddress: client, headers: { authorization: basic(user.name, password) } })
      expect(conjurLogin.statusCode).toBe(401)
      expect(spy.checks.count).toBe(PER_USER)
    } finally {
      spy.restore()
    }
    // The user's own address is untouched.
    expect((await t.app.inject({ method: 'POST', url: '/v2.0/tokens', remoteAddress: newClient(), payload: { auth: { passwordCredentials: { userId: user.id, password } } } })).statusCode).toBe(200)
  })

  it('names that name nobody share one count per normalised name, in Keystone and Conjur alike', async () => {
    const ghost = unique('Ghost')
    const client = newClient()
    const account = await insertAccount(t.app.db)
    expect((await keystoneLogin(client, ghost, 'x')).statusCode).toBe(401)
    expect((await keystoneLogin(client, ` ${ghost.toUpperCase()} `, 'x')).statusCode).toBe(401)
    const reached = await t.app.inject({ method: 'POST', url: `/authn/${account.name}/${ghost.toLowerCase()}/authenticate`, remoteAddress: client, payload: 'any-key' })
    expect(reached.statusCode).toBe(401)
    expect(Number(reached.headers['retry-after'])).toBe(WINDOW_SECONDS)
    // Another name from the same address is still tried (the client's own limit is higher).
    const otherName = await keystoneLogin(client, unique('someone-else'), 'x')
    expect(otherName.statusCode).toBe(401)
    expect(otherName.headers['retry-after']).toBeUndefined()
  })
})

describe('a Conjur Basic login name holding a NUL (no name in the database can)', () => {
  it.each([
    ['a\u0000b', 'a known account'], ['host/a\u0000b', 'a known account'], ['a\u0000b', 'an unknown account']
  ])('%j on %s is an ordinary refused login: the empty 401, counted', async (name, on) => {
    const accountName = on === 'a known account' ? (await insertTenantUser(t.app.db)).account.name : unique('no-account')
    const client = newClient()
    const attempt = () => t.app.inject({ url: `/authn/${accountName}/login`, remoteAddress: client, headers: { authorization: `Basic ${Buffer.from(`${name}:secret`).toString('base64')}` } })
    for (let failure = 1; failure < PER_USER; failure++) {
      const refused = await attempt()
      expect(refused.statusCode).toBe(401)
      expect(refused.body).toBe('')
      expect(refused.headers['retry-after']).toBeUndefined()
    }
    const reached = await attempt()
    expect(reached.statusCode).toBe(401)
    expect(Number(reached.headers['retry-after'])).toBe(WINDOW_SECONDS)
  })
})

describe('counted before the secret is checked', () => {
  it('guesses sent all at once get no more password checks than the limit', async () => {
    const { user, password } = await insertTenantUser(t.app.db)
    const client = newClient()
    const spy = countRealPasswordChecks()
    try {
      const guesses = Array.from({ length: 30 }, (_, index) => index === 29 ? password : `wrong-${index}`)
      const replies = await Promise.all(guesses.map((guess) => keystoneLogin(client, user.name, guess)))
      expect(spy.checks.count).toBeLessThanOrEqual(PER_USER)
      expect(replies.filter((reply) => reply.statusCode === 200).length).toBeLessThanOrEqual(1)
      for (const reply of replies.filter((each) => each.statusCode !== 200)) {
        expect(reply.statusCode).toBe(401)
        expect(reply.json()).toEqual(KEYSTONE_401)
      }
      expect(replies.filter((reply) => reply.headers['retry-after'] !== undefined).length).toBeGreaterThanOrEqual(30 - PER_USER)
    } finally {
      spy.restore()
    }
  })

  it('gives a successful login its count back: a user\'s own logins never lock them out', async () => {
    const { user, password } = await insertTenantUser(t.app.db)
    const client = newClient()
    for (let login = 0; login < PER_CLIENT + PER_USER; login++) expect((await keystoneLogin(client, user.name, password)).statusCode).toBe(200)
    expect((await keystoneLogin(client, user.name, 'wrong')).headers['retry-after']).toBeUndefined()
  })

  it('a name that was guessed too often is refused alike whether or not it names someone (no oracle)', async () => {
    const { user } = await insertTenantUser(t.app.db)
    const nobody = unique('nobody')
    const answers: Array<{ status: number, retryAfter: boolean }> = []
    for (const name of [user.name, nobody]) {
      const client = newClient()
      // Another spelling of the name fills its count: it names nobody, whichever name it is.
      for (let failure = 0; failure < PER_USER; failure++) await keystoneLogin(client, name.toUpperCase(), 'x')
      const reply = await keystoneLogin(client, name, 'x')
      answers.push({ status: reply.statusCode, retryAfter: reply.headers['retry-after'] !== undefined })
    }
    expect(answers).toEqual([{ status: 401, retryAfter: true }, { status: 401, retryAfter: true }])
  })
})
