import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { createHostFactory, createTokens, FUTURE, hfId, newTenant, userHeader } from '../conjur/helpers.js'

/**
 * A change and its audit row are one statement: a test trigger refuses one of the two inserts,
 * and neither row may remain. The triggers fire only for the records each test makes.
 */
describe('a change and its audit rows are written together or not at all', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await setupTestApp()
    await sql`create function refuse_insert () returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`.execute(t.app.db)
  })
  afterAll(() => t?.close())

  async function refuseInserts (table: string, condition: string): Promise<void> {
    await sql`create trigger ${sql.id(`refuse_${Math.random().toString(36).slice(2)}`)} before insert on ${sql.id(table)} for each row when (${sql.raw(condition)}) execute function refuse_insert()`.execute(t.app.db)
  }

  function auditRowsOf (requestId: string) {
    return t.app.db.selectFrom('audit_events').select('kind').where('request_id', '=', requestId).where('kind', 'not like', '%.denied').execute()
  }

  function login (user: { name: string }, password: string, tenantId: string) {
    return t.app.inject({ method: 'POST', url: '/v2.0/tokens', payload: { auth: { passwordCredentials: { username: user.name, password }, tenantId } } })
  }

  it('a login whose session cannot be stored leaves no audit row', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
    await refuseInserts('auth_sessions', `new.user_id = ${sql.lit(user.id).compile(t.app.db).sql}`)
    const response = await login(user, password, account.id)
    expect(response.statusCode).toBe(500)
    expect(await auditRowsOf(response.headers['x-request-id'] as string)).toEqual([])
  })

  it('a login whose audit row cannot be stored leaves no session', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['member'])
    await refuseInserts('audit_events', `new.actor_id = ${sql.lit(user.id).compile(t.app.db).sql}`)
    expect((await login(user, password, account.id)).statusCode).toBe(500)
    expect(await t.app.db.selectFrom('auth_sessions').select('audit_id').where('user_id', '=', user.id).execute()).toEqual([])
  })

  it('host factory tokens that cannot be stored leave no audit row, and tokens whose audit rows cannot be stored are not stored', async () => {
    const tenant = await newTenant(t.app)
    const header = await userHeader(t.app, tenant, tenant.admin)
    const refusedTokens = await createHostFactory(t.app, tenant)
    await refuseInserts('host_factory_tokens', `new.host_factory_id = ${sql.lit(refusedTokens).compile(t.app.db).sql}`)
    const first = await createTokens(t.app, header, { host_factory: hfId(tenant, refusedTokens), expiration: FUTURE, count: 2 })
    expect(first.statusCode).toBe(500)
    expect(await auditRowsOf(first.headers['x-request-id'] as string)).toEqual([])

    const refusedAudit = await createHostFactory(t.app, tenant)
    await refuseInserts('audit_events', `new.details ->> 'hostFactory' = ${sql.lit(hfId(tenant, refusedAudit)).compile(t.app.db).sql}`)
    expect((await createTokens(t.app, header, { host_factory: hfId(tenant, refusedAudit), expiration: FUTURE, count: 2 })).statusCode).toBe(500)
    expect(await t.app.db.selectFrom('host_factory_tokens').select('token_sha256').where('host_factory_id', '=', refusedAudit).execute()).toEqual([])
  })

  it('concurrent agent-token creates share statements, yet one whose audit row is refused fails alone, storing nothing', async () => {
    const { account, user, password } = await insertTenantUser(t.app.db, ['admin'])
    const token = (await login(user, password, account.id)).json().access.token.id
    await refuseInserts('audit_events', 'new.kind = \'agent-token.created\' and new.details ->> \'why\' = \'refused\'')
    const labels = Array.from({ length: 30 }, (_, i) => i === 17 ? 'refused' : `agent ${i}`)
    const replies = await Promise.all(labels.map((label) =>
      t.app.inject({ method: 'POST', url: `/v1.0/${account.id}/agent_tokens?_why=${encodeURIComponent(label)}`, headers: { 'x-auth-token': token }, payload: { label } })))
    expect(replies.map((reply) => reply.statusCode)).toEqual(labels.map((label) => label === 'refused' ? 500 : 201))
    const stored = await t.app.db.selectFrom('agent_tokens').select('label').where('account_id', '=', account.id).execute()
    expect(stored.map((row) => row.label).sort()).toEqual(labels.filter((label) => label !== 'refused').sort())
  })
})
