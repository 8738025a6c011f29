import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../../src/core/secrets.js'
import { UNSTORABLE_TEXT_PROBLEM } from '../../../src/core/storable-text.js'
import type { AccountRow } from '../../../src/db/repositories/accounts.js'
import { addCredentialUsage, findCredential } from '../../../src/db/repositories/credentials.js'
import { credentialView } from '../../../src/services/credentials.js'
import { insertAccount, insertUser, login, superAdminSession, type Login, type UserFixture } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { createToken as createAgentToken } from '../agent-tokens/helpers.js'
import { createToken as createAstraToken } from '../astra/helpers.js'
import { createHostFactory, hfId, newTokens, userHeader } from '../conjur/helpers.js'
import { errorBody, FORBIDDEN, UNAUTHENTICATED } from './admin-helpers.js'

const DAY = 24 * 60 * 60 * 1000
const HOUR = 60 * 60 * 1000

interface Tenant {
  account: AccountRow
  admin: UserFixture
  session: Login
  /** The admin session's accessor: its audit id. */
  sessionAccessor: string
}

describe('the hygiene report (GET /admin/v1/accounts/{accountId}[/users/{userId}]/credentials)', () => {
  let t: TestApp

  // Sessions live 60 days here: only what a test makes expires within the `expiring` finding's 30 days.
  beforeAll(async () => { t = await setupTestApp({ env: { TOKEN_TTL: '60d' } }) })
  afterAll(() => t?.close())

  async function newTenant (): Promise<Tenant> {
    // Astra paths need a UUID account id.
    const account = await insertAccount(t.app.db, { id: randomUUID() })
    const admin = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
    const session = await login(t.app, { username: admin.user.name, password: admin.password, tenantId: account.id })
    return { account, admin, session, sessionAccessor: session.access.token.audit_ids[0] }
  }

  const report = (token: string | undefined, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ url: `/admin/v1${url}`, headers: { ...(token === undefined ? {} : { 'x-auth-token': token }), ...headers } })

  const accessorOf = {
    apiKey: async (userId: string) => (await t.app.db.selectFrom('api_keys').select('accessor').where('user_id', '=', userId).executeTakeFirstOrThrow()).accessor,
    agentToken: async (id: string) => (await t.app.db.selectFrom('agent_tokens').select('accessor').where('secret_hash', '=', sha256(id)).executeTakeFirstOrThrow()).accessor,
    hfToken: async (token: string) => (await t.app.db.selectFrom('host_factory_tokens').select('accessor').where('token_sha256', '=', sha256(token)).executeTakeFirstOrThrow()).accessor
  }

  /** The report's item for a credential, from what the database holds: the expected answer. */
  async function itemOf (accountId: string, accessor: string, findings: string[]) {
    return { ...credentialView((await findCredential(t.app.db, accountId, accessor))!), findings }
  }

  /** Uses as a replica's flush adds them: a batch sorted by accessor. */
  const recordUses = (uses: Array<[accessor: string, count: number, lastUsedAt: Date]>) => {
    const sorted = [...uses].sort(([a], [b]) => a < b ? -1 : 1)
    return addCredentialUsage(t.app.db, { accessors: sorted.map(([accessor]) => accessor), counts: sorted.map(([, count]) => count), lastUsedAt: sorted.map(([, , at]) => at) })
  }

  const byAccessor = <T extends { accessor: string }>(items: T[]) => [...items].sort((a, b) => a.accessor < b.accessor ? -1 : 1)

  const backdateAstraToken = (id: string, createdAt: Date) =>
    t.app.db.updateTable('user_tokens').set({ created_at: createdAt }).where('id', '=', id).execute()

  it('finds a never-used and an expiring credential among every kind, with their usage', async () => {
    const tenant = await newTenant()
    const { account } = tenant
    const member = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
    // The admin makes an Astra token for the member, an agent token, and a host factory token expiring in a day.
    const astra = await createAstraToken(t.app, { accountId: account.id, userId: tenant.admin.user.id, user: tenant.admin, token: tenant.session.token }, 'nightly', {}, member.user.id)
    const agentToken = await createAgentToken(t.app, { token: tenant.session.token, tenantId: account.id }, { label: 'web01' })
    const factory = await createHostFactory(t.app, { account, adminToken: tenant.session.token, admin: tenant.admin })
    const conjur = await userHeader(t.app, { account, adminToken: tenant.session.token, admin: tenant.admin }, tenant.admin)
    const tomorrow = new Date(Date.now() + DAY)
    const [hfToken] = await newTokens(t.app, conjur, { host_factory: hfId({ account, adminToken: '', admin: tenant.admin }, factory), expiration: tomorrow.toISOString() })

    const agent = await accessorOf.agentToken(agentToken)
    const hf = await accessorOf.hfToken(hfToken!.token)
    const memberKey = await accessorOf.apiKey(member.user.id)
    const adminKey = await accessorOf.apiKey(tenant.admin.user.id)
    // The Astra token and the admin's session were used (as a replica's flush records it).
    await recordUses([[astra.id, 3, new Date(Date.now() - 2 * HOUR)], [tenant.sessionAccessor, 1, new Date()]])
    await recordUses([[astra.id, 2, new Date(Date.now() - 3 * HOUR)]])

    const all = await report(tenant.session.token, `/accounts/${account.id}/credentials`)
    expect(all.statusCode).toBe(200)
    expect(all.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(all.headers.link).toBeUndefined()
    expect(all.json()).toEqual({
      items: byAccessor([
        await itemOf(account.id, tenant.sessionAccessor, []),
        await itemOf(account.id, adminKey, ['never-used']),
        await itemOf(account.id, memberKey, ['never-used']),
        await itemOf(account.id, astra.id, []),
        // Agents use their tokens at the monitoring endpoint, which Tessera does not serve: no usage finding.
        await itemOf(account.id, agent, []),
        await itemOf(account.id, hf, ['never-used', 'expiring'])
      ]),
      nextCursor: null
    })
    // What each kind says of itself.
    const items = all.json().items as Array<Record<string, unknown>>
    expect(items.find((item) => item.accessor === agent)).toMatchObject({ kind: 'agent-token', owner: { type: 'account', id: account.id }, createdBy: tenant.admin.user.id, name: 'web01', useCount: 0, expiresAt: null })
    expect(items.find((item) => item.accessor === hf)).toMatchObject({ kind: 'host-factory-token', owner: { type: 'host-factory', id: factory }, createdBy: tenant.admin.user.id, expiresAt: tomorrow.toISOString(), useCount: 0, lastUsedAt: null })
    expect(items.find((item) => item.accessor === astra.id)).toMatchObject({ kind: 'astra-token', owner: { type: 'user', id: member.user.id }, createdBy: tenant.admin.user.id, name: 'nightly', useCount: 5 })
    expect(items.find((item) => item.accessor === memberKey)).toMatchObject({ kind: 'api-key', owner: { type: 'user', id: member.user.id }, createdBy: member.user.id })
    expect(items.find((item) => item.accessor === tenant.sessionAccessor)).toMatchObject({ kind: 'session', owner: { type: 'user', id: tenant.admin.user.id }, useCount: 1 })

    const accessors = async (query: string) => {
      const response = await report(tenant.session.token, `/accounts/${account.id}/credentials?${query}`)
      expect(response.statusCode, response.body).toBe(200)
      return (response.json().items as Array<{ accessor: string }>).map((item) => item.accessor)
    }
    expect(await accessors('neverUsed=true')).toEqual([adminKey, memberKey, hf].sort())
    expect(await accessors('expiringDays=2')).toEqual([hf])
    expect(await accessors('expiringDays=0')).toEqual([])
    expect(await accessors('neverUsed=true&expiringDays=2&kind=host-factory-token')).toEqual([hf])
    expect(await accessors('kind=agent-token')).toEqual([agent])
    expect(await accessors('kind=agent-token&neverUsed=true')).toEqual([])
    // false is no filter.
    expect(await accessors('neverUsed=false&ownerDisabled=false&includeEnded=false')).toHaveLength(6)
  })

  it('finds credentials not used for N days: used before then, or never used and made before then', async () => {
    const tenant = await newTenant()
    const caller = { accountId: tenant.account.id, userId: tenant.admin.user.id, user: tenant.admin, token: tenant.session.token }
    const [stale, fresh, idle, young] = [
      (await createAstraToken(t.app, caller)).id as string,
      (await createAstraToken(t.app, caller)).id as string,
      (await createAstraToken(t.app, caller)).id as string,
      (await createAstraToken(t.app, caller)).id as string
    ]
    const now = Date.now()
    for (const accessor of [stale, fresh, idle]) await backdateAstraToken(accessor, new Date(now - 40 * DAY))
    await backdateAstraToken(young, new Date(now - 2 * DAY))
    await recordUses([[stale, 1, new Date(now - 10 * DAY)], [fresh, 1, new Date(now - HOUR)]])

    const page = async (query: string) => {
      const response = await report(tenant.session.token, `/accounts/${tenant.account.id}/credentials?kind=astra-token&${query}`)
      expect(response.statusCode, response.body).toBe(200)
      return response.json().items as Array<{ accessor: string, findings: string[] }>
    }
    const found = async (query: string) => (await page(query)).map((item) => item.accessor)
    expect(await found('unusedDays=5')).toEqual([stale, idle].sort())
    expect(await found('unusedDays=1')).toEqual([stale, idle, young].sort())
    expect(await found('unusedDays=30')).toEqual([idle])
    expect(await found('unusedDays=50')).toEqual([])
    expect(await found('unusedDays=5&neverUsed=true')).toEqual([idle])
    // `unused` means unusedDays when given, else 90 days.
    expect(byAccessor(await page('unusedDays=5'))).toEqual(byAccessor([
      await itemOf(tenant.account.id, stale, ['unused']),
      await itemOf(tenant.account.id, idle, ['never-used', 'unused'])
    ]))
    expect((await page('')).map((item) => item.findings)).toEqual(byAccessor([
      { accessor: stale, findings: [] }, { accessor: fresh, findings: [] }, { accessor: idle, findings: ['never-used'] }, { accessor: young, findings: ['never-used'] }
    ]).map((item) => item.findings))
  })

  it('finds the credentials of disabled users: those they hold and those they made; ended ones only with includeEnded', async () => {
    const tenant = await newTenant()
    const { account } = tenant
    const dan = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
    const danSession = await login(t.app, { username: dan.user.name, password: dan.password, tenantId: account.id })
    const madeByDan = await accessorOf.agentToken(await createAgentToken(t.app, { token: danSession.token, tenantId: account.id }))
    const heldByDan = await createAstraToken(t.app, { accountId: account.id, userId: tenant.admin.user.id, user: tenant.admin, token: tenant.session.token }, 'for-dan', {}, dan.user.id)
    const danKey = await accessorOf.apiKey(dan.user.id)
    const notDans = await accessorOf.agentToken(await createAgentToken(t.app, { token: tenant.session.token, tenantId: account.id }))

    const found = async (query: string) => {
      const response = await report(tenant.session.token, `/accounts/${account.id}/credentials?${query}`)
      expect(response.statusCode, response.body).toBe(200)
      return response.json().items as Array<{ accessor: string, findings: string[], endedAt: string | null }>
    }
    expect(await found('ownerDisabled=true')).toEqual([])

    const disabled = await t.app.inject({ method: 'PATCH', url: `/admin/v1/accounts/${account.id}/users/${dan.user.id}`, headers: { 'x-auth-token': tenant.session.token }, payload: { enabled: false } })
    expect(disabled.statusCode).toBe(200)
    // Disabling him ended his session: it is listed only with includeEnded.
    const danSessionAccessor = danSession.access.token.audit_ids[0]
    expect(await found('ownerDisabled=true')).toEqual(byAccessor([
      await itemOf(account.id, madeByDan, ['owner-disabled']),
      await itemOf(account.id, heldByDan.id, ['never-used', 'owner-disabled']),
      await itemOf(account.id, danKey, ['never-used', 'owner-disabled'])
    ]))
    const withEnded = await found('ownerDisabled=true&includeEnded=true')
    expect(withEnded.map((item) => item.accessor)).toEqual([madeByDan, heldByDan.id, danKey, danSessionAccessor].sort())
    expect(withEnded.find((item) => item.accessor === danSessionAccessor)).toEqual(await itemOf(account.id, danSessionAccessor, ['never-used', 'owner-disabled']))
    expect(withEnded.find((item) => item.accessor === danSessionAccessor)!.endedAt).toEqual(expect.any(String))
    expect((await found('')).find((item) => item.accessor === notDans)!.findings).toEqual([])
  })

  it('pages by accessor with nextCursor and a Link header that keeps the filters', async () => {
    const tenant = await newTenant()
    const caller = { token: tenant.session.token, tenantId: tenant.account.id }
    const made: string[] = []
    for (let i = 0; i < 5; i++) made.push(await accessorOf.agentToken(await createAgentToken(t.app, caller)))
    const base = `/accounts/${tenant.account.id}/credentials`
    const seen: string[] = []
    let url: string | null = `${base}?kind=agent-token&includeEnded=false&limit=2`
    const links: string[] = []
    while (url !== null) {
      const response = await report(tenant.session.token, url)
      expect(response.statusCode).toBe(200)
      const { items, nextCursor } = response.json() as { items: Array<{ accessor: string }>, nextCursor: string | null }
      seen.push(...items.map((item) => item.accessor))
      if (nextCursor === null) {
        expect(response.headers.link).toBeUndefined()
        url = null
      } else {
        expect(items).toHaveLength(2)
        expect(nextCursor).toBe(items.at(-1)!.accessor)
        const next = `${base}?kind=agent-token&includeEnded=false&limit=2&after=${nextCursor}`
        expect(response.headers.link).toBe(`<http://localhost:80/admin/v1${next}>; rel="next"`)
        links.push(next)
        url = next
      }
    }
    expect(seen).toEqual([...made].sort())
    expect(links).toHaveLength(2)
    // A cursor between two accessors resumes after it.
    const resumed = await report(tenant.session.token, `${base}?kind=agent-token&after=${seen[2]}`)
    expect(resumed.json()).toEqual({ items: [await itemOf(tenant.account.id, seen[3]!, []), await itemOf(tenant.account.id, seen[4]!, [])], nextCursor: null })
  })

  it('answers the same page as CSV for Accept: text/csv or format=csv, quoting where RFC 4180 says and defusing formulas', async () => {
    const tenant = await newTenant()
    const caller = { token: tenant.session.token, tenantId: tenant.account.id }
    const labels = ['=HYPERLINK("http://evil.example","click")', '+1+2', '-3', '@SUM(A1)', '\tTabbed', '  =1+1', 'plain, with "quotes"', 'two\r\nlines', 'ｓafe']
    const made = new Map<string, string>()
    for (const label of labels) made.set(await accessorOf.agentToken(await createAgentToken(t.app, caller, { label })), label)
    const [first, second] = [...made.keys()].sort()
    const lastUsedAt = new Date(Date.now() - HOUR)
    await recordUses([[first!, 7, lastUsedAt]])

    const url = `/accounts/${tenant.account.id}/credentials?kind=agent-token&limit=${labels.length}`
    const json = (await report(tenant.session.token, url)).json()
    const cell: Record<string, string> = {
      '=HYPERLINK("http://evil.example","click")': '"\'=HYPERLINK(""http://evil.example"",""click"")"',
      '+1+2': '\'+1+2',
      '-3': '\'-3',
      '@SUM(A1)': '\'@SUM(A1)',
      '\tTabbed': '\'\tTabbed',
      '  =1+1': '\'  =1+1',
      'plain, with "quotes"': '"plain, with ""quotes"""',
      'two\r\nlines': '"two\r\nlines"',
      ｓafe: 'ｓafe'
    }
    const expected = 'kind,accessor,accountId,ownerType,ownerId,createdBy,name,createdAt,expiresAt,endedAt,lastUsedAt,useCount,findings\r\n' +
      (json.items as Array<{ accessor: string, createdAt: string }>).map((item) => [
        'agent-token', item.accessor, tenant.account.id, 'account', tenant.account.id, tenant.admin.user.id, cell[made.get(item.accessor)!], item.createdAt, '', '',
        item.accessor === first ? lastUsedAt.toISOString() : '', item.accessor === first ? '7' : '0', ''
      ].join(',') + '\r\n').join('')

    for (const [query, headers] of [['', { accept: 'text/csv' }], ['&format=csv', {}], ['&format=csv', { accept: 'application/json' }]] as const) {
      const csv = await report(tenant.session.token, `${url}${query}`, headers)
      expect(csv.statusCode).toBe(200)
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(csv.body).toBe(expected)
    }
    // format=json wins over Accept.
    expect((await report(tenant.session.token, `${url}&format=json`, { accept: 'text/csv' })).json()).toEqual(json)

    // A CSV page has the JSON page's Link; a page with nothing is the header alone.
    const paged = await report(tenant.session.token, `/accounts/${tenant.account.id}/credentials?kind=agent-token&format=csv&limit=1`)
    expect(paged.headers.link).toBe(`<http://localhost:80/admin/v1/accounts/${tenant.account.id}/credentials?kind=agent-token&format=csv&limit=1&after=${first}>; rel="next"`)
    expect(paged.body.split('\r\n')[1]!.split(',')[1]).toBe(first)
    const after = await report(tenant.session.token, `/accounts/${tenant.account.id}/credentials?kind=agent-token&format=csv&limit=1&after=${first}`)
    expect(after.body.split('\r\n')[1]!.split(',')[1]).toBe(second)
    const none = await report(tenant.session.token, `/accounts/${tenant.account.id}/credentials?kind=host-api-key&format=csv`)
    expect(none.body).toBe('kind,accessor,accountId,ownerType,ownerId,createdBy,name,createdAt,expiresAt,endedAt,lastUsedAt,useCount,findings\r\n')
  })

  it('shows a user their own credentials (those they hold and made) and no one else\'s; their admins see any user\'s', async () => {
    const tenant = await newTenant()
    const { account } = tenant
    const mia = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
    const miaSession = await login(t.app, { username: mia.user.name, password: mia.password, tenantId: account.id })
    const bob = await insertUser(t.app.db, { accountId: account.id, roles: ['member'] })
    // Mia's: her key, her session, the Astra token she holds (the admin made it), the one she made for herself.
    const astraCaller = { accountId: account.id, userId: mia.user.id, user: mia, token: miaSession.token }
    const given = await createAstraToken(t.app, { accountId: account.id, userId: tenant.admin.user.id, user: tenant.admin, token: tenant.session.token }, 'given', {}, mia.user.id)
    const own = await createAstraToken(t.app, astraCaller, 'own')
    const miaKey = await accessorOf.apiKey(mia.user.id)
    const miaSessionAccessor = miaSession.access.token.audit_ids[0]
    const expected = {
      items: byAccessor([
        await itemOf(account.id, miaKey, ['never-used']),
        await itemOf(account.id, miaSessionAccessor, ['never-used']),
        await itemOf(account.id, given.id, ['never-used']),
        await itemOf(account.id, own.id, ['never-used'])
      ]),
      nextCursor: null
    }
    const miaList = `/accounts/${account.id}/users/${mia.user.id}/credentials`

    const hers = await report(miaSession.token, miaList)
    expect(hers.statusCode).toBe(200)
    expect(hers.json()).toEqual(expected)
    expect((await report(tenant.session.token, miaList)).json()).toEqual(expected)
    const superAdmin = await superAdminSession(t.app)
    expect((await report(superAdmin.token, miaList)).json()).toEqual(expected)
    // The same filters and formats.
    expect((await report(miaSession.token, `${miaList}?kind=astra-token&format=csv`)).body.split('\r\n')).toHaveLength(4)

    // Another user's list, an unknown user's, the account's: the same 403, before any lookup.
    for (const url of [`/accounts/${account.id}/users/${bob.user.id}/credentials`, `/accounts/${account.id}/users/${randomUUID()}/credentials`, `/accounts/${account.id}/credentials`,
      `/accounts/${account.id}/users/not-a-uuid/credentials`]) {
      const refused = await report(miaSession.token, url)
      expect(refused.statusCode, url).toBe(403)
      expect(refused.json()).toEqual(FORBIDDEN)
    }
    // Her own list, with a session scoped elsewhere: 403.
    const elsewhere = await insertAccount(t.app.db)
    await t.app.inject({ method: 'PUT', url: `/admin/v1/accounts/${elsewhere.id}/users/${mia.user.id}/roles/member`, headers: { 'x-auth-token': superAdmin.token } })
    const scopedElsewhere = await login(t.app, { username: mia.user.name, password: mia.password, tenantId: elsewhere.id })
    expect((await report(scopedElsewhere.token, miaList)).json()).toEqual(FORBIDDEN)
    // Another account's admin.
    const other = await newTenant()
    expect((await report(other.session.token, miaList)).json()).toEqual(FORBIDDEN)

    // The admins learn that a user is not of the account.
    const unknown = randomUUID()
    const missing = await report(tenant.session.token, `/accounts/${account.id}/users/${unknown}/credentials`)
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual(errorBody(404, `user ${unknown} does not exist`))
    const notHere = await report(tenant.session.token, `/accounts/${account.id}/users/${other.admin.user.id}/credentials`)
    expect(notHere.json()).toEqual(errorBody(404, `user ${other.admin.user.id} does not exist`))
  })

  it('answers 401 without a session, and 404 for an account that does not exist', async () => {
    const tenant = await newTenant()
    const anonymous = await report(undefined, `/accounts/${tenant.account.id}/credentials`)
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json()).toEqual(UNAUTHENTICATED)
    const superAdmin = await superAdminSession(t.app)
    const missing = await report(superAdmin.token, '/accounts/no-such-account/credentials')
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual(errorBody(404, 'account no-such-account does not exist'))
    const missingUser = await report(superAdmin.token, `/accounts/no-such-account/users/${tenant.admin.user.id}/credentials`)
    expect(missingUser.json()).toEqual(errorBody(404, `user ${tenant.admin.user.id} does not exist`))
  })

  it('refuses bad queries with the admin API\'s 400', async () => {
    const tenant = await newTenant()
    const base = `/accounts/${tenant.account.id}/credentials`
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit must be an integer between 1 and 1000'],
      ['limit=1001', 'limit must be an integer between 1 and 1000'],
      ['limit=ten', 'limit must be an integer between 1 and 1000'],
      ['unusedDays=-1', 'querystring/unusedDays must be >= 0'],
      ['unusedDays=36501', 'querystring/unusedDays must be <= 36500'],
      ['unusedDays=99999999999999999999999', 'querystring/unusedDays must be <= 36500'],
      ['unusedDays=1.5', 'querystring/unusedDays must be integer'],
      ['unusedDays=soon', 'querystring/unusedDays must be integer'],
      ['expiringDays=', 'querystring/expiringDays must be integer'],
      ['expiringDays=36501', 'querystring/expiringDays must be <= 36500'],
      ['kind=password', 'querystring/kind must be equal to one of the allowed values'],
      ['neverUsed=yes', 'querystring/neverUsed must be boolean'],
      ['ownerDisabled=1', 'querystring/ownerDisabled must be boolean'],
      ['includeEnded=maybe', 'querystring/includeEnded must be boolean'],
      ['format=xml', 'querystring/format must be equal to one of the allowed values'],
      ['after=not%20an%20accessor', 'querystring/after must match pattern "^[A-Za-z0-9_-]{1,64}$"'],
      [`after=${'a'.repeat(65)}`, 'querystring/after must match pattern "^[A-Za-z0-9_-]{1,64}$"'],
      ['unusedDays=1&unusedDays=2', 'querystring/unusedDays must be integer'],
      // Text PostgreSQL cannot store is refused before the schema sees it.
      ['after=a%00b', `querystring/after ${UNSTORABLE_TEXT_PROBLEM}`],
      ['kind=%00', `querystring/kind ${UNSTORABLE_TEXT_PROBLEM}`]
    ]
    for (const [query, message] of cases) {
      for (const url of [base, `/accounts/${tenant.account.id}/users/${tenant.admin.user.id}/credentials`]) {
        const response = await report(tenant.session.token, `${url}?${query}`)
        expect(response.statusCode, `${url}?${query}`).toBe(400)
        expect(response.json(), `${url}?${query}`).toEqual(errorBody(400, message))
      }
    }
    // Asked for CSV, an error is still the admin API's JSON.
    const asCsv = await report(tenant.session.token, `${base}?unusedDays=-1`, { accept: 'text/csv' })
    expect(asCsv.statusCode).toBe(400)
    expect(asCsv.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(asCsv.json()).toEqual(errorBody(400, 'querystring/unusedDays must be >= 0'))
    const badUser = await report(tenant.session.token, `/accounts/${tenant.account.id}/users/not-a-uuid/credentials`)
    expect(badUser.json()).toEqual(errorBody(400, 'params/userId must match pattern "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"'))
  })
})
