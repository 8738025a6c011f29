import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grantRole } from '../../../src/db/repositories/role-assignments.js'
import { insertUser, login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { cliOn, jsonLines } from '../../cli/run-cli.js'
import { call as adminCall, errorBody, FORBIDDEN, UNAUTHENTICATED } from '../admin/admin-helpers.js'
import { call, callerOn, collectionPath, createToken, expectProblem, newAccount, newCaller } from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

const adminPath = (accountId: string, userId: string) => `/accounts/${accountId}/users/${userId}/astra-tokens`

describe('admin API: a user\'s Astra tokens', () => {
  it('lists a user\'s live tokens by id, a page at a time, never with a secret', async () => {
    const accountId = await newAccount(t.app)
    const admin = await callerOn(t.app, accountId, ['admin'])
    const member = await callerOn(t.app, accountId, ['member'])
    const created = [await createToken(t.app, member, 'one', { metadata: { labels: [{ name: 'k', value: 'v' }] } }), await createToken(t.app, admin, 'two', {}, member.userId), await createToken(t.app, member, 'three')]
    const sorted = [...created].sort((a, b) => (a.id < b.id ? -1 : 1))
    const view = (token: any) => ({
      id: token.id,
      name: token.name,
      accountId,
      userId: member.userId,
      labels: token.metadata.labels,
      createdAt: token.metadata.creationTimestamp,
      createdBy: token.metadata.createdBy,
      modifiedAt: token.metadata.modificationTimestamp,
      modifiedBy: null
    })
    const first = await adminCall(t.app, admin.token, 'GET', `${adminPath(accountId, member.userId)}?limit=2`)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toEqual({ items: sorted.slice(0, 2).map(view), nextCursor: sorted[1].id })
    expect(first.headers.link).toBe(`<http://localhost:80/admin/v1${adminPath(accountId, member.userId)}?limit=2&after=${sorted[1].id}>; rel="next"`)
    for (const token of created) expect(first.body).not.toContain(token.token)
    const second = await adminCall(t.app, admin.token, 'GET', `${adminPath(accountId, member.userId)}?limit=2&after=${sorted[1].id}`)
    expect(second.json()).toEqual({ items: [view(sorted[2])], nextCursor: null })
  })

  it('revokes a token: 204, its bearer value is refused at once, and it leaves the list', async () => {
    const accountId = await newAccount(t.app)
    const admin = await callerOn(t.app, accountId, ['admin'])
    const member = await callerOn(t.app, accountId, ['member'])
    const token = await createToken(t.app, member, 'to-revoke')
    const revoked = await adminCall(t.app, admin.token, 'DELETE', `${adminPath(accountId, member.userId)}/${token.id}`)
    expect(revoked.statusCode).toBe(204)
    expectProblem(await call(t.app, token.token, 'GET', collectionPath(accountId, member.userId)), 4)
    expect((await adminCall(t.app, admin.token, 'GET', adminPath(accountId, member.userId))).json()).toEqual({ items: [], nextCursor: null })
    const again = await adminCall(t.app, admin.token, 'DELETE', `${adminPath(accountId, member.userId)}/${token.id}`)
    expect(again.statusCode).toBe(404)
    expect(again.json()).toEqual(errorBody(404, `user ${member.userId} has no Astra token ${token.id} on account ${accountId}`))
  })

  it('answers 401 without a session, 403 for non-admins and other accounts\' admins, 404 for users of other accounts', async () => {
    const accountId = await newAccount(t.app)
    const member = await callerOn(t.app, accountId, ['member'])
    const outsider = await newCaller(t.app, ['admin'])
    const admin = await callerOn(t.app, accountId, ['admin'])
    expect((await adminCall(t.app, undefined, 'GET', adminPath(accountId, member.userId))).json()).toEqual(UNAUTHENTICATED)
    for (const caller of [member, outsider]) {
      const response = await adminCall(t.app, caller.token, 'GET', adminPath(accountId, member.userId))
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(FORBIDDEN)
    }
    const stranger = await adminCall(t.app, admin.token, 'GET', adminPath(accountId, outsider.userId))
    expect(stranger.statusCode).toBe(404)
    expect(stranger.json()).toEqual(errorBody(404, `user ${outsider.userId} does not exist`))
    const token = await createToken(t.app, outsider, 'elsewhere')
    const crossRevoke = await adminCall(t.app, admin.token, 'DELETE', `${adminPath(accountId, outsider.userId)}/${token.id}`)
    expect(crossRevoke.statusCode).toBe(404)
    expect((await call(t.app, token.token, 'GET', collectionPath(outsider.accountId, outsider.userId))).statusCode).toBe(200)
  })
})

describe('tessera astra-tokens', () => {
  it('lists a user\'s tokens by name or id, as a table or --json, and revokes one', async () => {
    const cli = cliOn(t.app.db, t.config)
    const caller = await newCaller(t.app)
    const userLabel = `user ${caller.userId} (${caller.user.user.name})`
    expect(await cli(['astra-tokens', 'list', caller.user.user.name])).toEqual({ code: 0, stdout: `${userLabel} has no Astra tokens\n`, stderr: '' })
    const token = await createToken(t.app, caller, 'cli token')

    const table = await cli(['astra-tokens', 'list', caller.user.user.name])
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+ACCOUNT\s+NAME\s+CREATED\s+CREATED BY$/)
    expect(lines[1]!.split(/\s{2,}/)).toEqual([token.id, caller.accountId, '"cli token"', token.metadata.creationTimestamp, caller.userId])
    expect(table.stdout).not.toContain(token.token)

    const json = await cli(['astra-tokens', 'list', caller.userId, '--json'])
    expect(jsonLines(json.stdout)).toEqual([{
      id: token.id,
      name: 'cli token',
      accountId: caller.accountId,
      userId: caller.userId,
      labels: [],
      createdAt: token.metadata.creationTimestamp,
      createdBy: caller.userId,
      modifiedAt: token.metadata.modificationTimestamp,
      modifiedBy: null
    }])

    expect(await cli(['astra-tokens', 'revoke', caller.user.user.name, token.id])).toEqual({ code: 0, stdout: `revoked Astra token ${token.id} of ${userLabel}\n`, stderr: '' })
    expectProblem(await call(t.app, token.token, 'GET', collectionPath(caller.accountId, caller.userId)), 4)
    const missing = randomUUID()
    expect(await cli(['astra-tokens', 'revoke', caller.userId, missing])).toEqual({ code: 1, stdout: '', stderr: `tessera: ${userLabel} has no Astra token ${missing}\n` })
    expect(await cli(['astra-tokens', 'revoke', caller.userId])).toEqual({ code: 2, stdout: '', stderr: "tessera: missing argument <token>\nRun 'tessera astra-tokens revoke --help' for usage.\n" })
  })

  it('records a revocation under the token\'s account, which a role there makes other than the user\'s own', async () => {
    const cli = cliOn(t.app.db, t.config)
    const [home, elsewhere] = [await newAccount(t.app), await newAccount(t.app)]
    const user = await insertUser(t.app.db, { accountId: home, roles: ['member'] })
    await grantRole(t.app.db, { userId: user.user.id, accountId: elsewhere, role: 'member' })
    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: elsewhere })
    const token = await createToken(t.app, { accountId: elsewhere, userId: user.user.id, user, token: session.token }, 'on another account')
    expect((await cli(['astra-tokens', 'revoke', user.user.id, token.id])).code).toBe(0)
    const events = await t.app.db.selectFrom('audit_events').select(['account_id', 'actor_kind', 'details'])
      .where('kind', '=', 'astra-token.revoked').where('object_id', '=', token.id).execute()
    expect(events).toEqual([{ account_id: elsewhere, actor_kind: 'cli', details: { userId: user.user.id } }])
  })

  it('pages with --limit and --after', async () => {
    const cli = cliOn(t.app.db, t.config)
    const caller = await newCaller(t.app)
    const ids = [(await createToken(t.app, caller)).id, (await createToken(t.app, caller)).id].sort()
    const first = await cli(['astra-tokens', 'list', caller.userId, '--limit', '1', '--json'])
    expect(jsonLines(first.stdout).map((token) => token.id)).toEqual([ids[0]])
    expect(first.stderr).toBe(`more tokens follow: continue with --after ${ids[0]}\n`)
    const second = await cli(['astra-tokens', 'list', caller.userId, '--limit', '1', '--after', ids[0]!, '--json'])
    expect(jsonLines(second.stdout).map((token) => token.id)).toEqual([ids[1]])
    expect(second.stderr).toBe('')
  })
})
