import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser, superAdminSession, type UserFixture } from '../helpers/factories.js'
import { DEBIAN_PYTHON, DEBIAN_RUBY, fogCheck, keystoneauthCheck, listen, REQUIRE_CLIENTS, runClient, type ClientCheck } from '../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url))

/** Skips (with the reason) only where the library is missing and CI did not ask for it. */
function clientTest (check: ClientCheck, name: string, body: () => Promise<void>) {
  if (!check.available && !REQUIRE_CLIENTS) {
    it.skip(`${name} (skipped: ${check.reason})`, body)
    return
  }
  it(name, async () => {
    expect(check.available, check.reason).toBe(true)
    await body()
  }, 120_000)
}

describe('real identity clients against a listening server', () => {
  let t: TestApp
  let baseUrl: string
  let tenant: { account: { id: string, name: string } } & UserFixture
  let admin: UserFixture & { accountId: string }

  beforeAll(async () => {
    t = await setupTestApp()
    baseUrl = await listen(t.app)
    tenant = await insertTenantUser(t.app.db, ['admin', 'member'])
    admin = { ...(await superAdminSession(t.app)).user, accountId: t.config.admin.account }
  })
  afterAll(() => t?.close())

  clientTest(keystoneauthCheck(), 'keystoneauth1 v2 Password and Token plugins: login, re-scope, catalog, validate, revoke', async () => {
    const run = await runClient(DEBIAN_PYTHON, [script('keystoneauth_v2.py')], {
      TESSERA_URL: baseUrl,
      TESSERA_USERNAME: tenant.user.name,
      TESSERA_PASSWORD: tenant.password,
      TESSERA_TENANT_ID: tenant.account.id,
      TESSERA_TENANT_NAME: tenant.account.name,
      TESSERA_ADMIN_USERNAME: admin.user.name,
      TESSERA_ADMIN_PASSWORD: admin.password,
      TESSERA_ADMIN_TENANT_ID: admin.accountId
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const steps = Object.fromEntries(run.events.map((event) => [event.step, event]))

    const unscoped = steps['password-unscoped']
    expect(unscoped).toMatchObject({ user_id: tenant.user.id, username: tenant.user.name, scoped: false, project_id: null, roles: [] })
    expect(Date.parse(unscoped.expires) - Date.parse(unscoped.issued)).toBe(t.config.tokenTtlSeconds * 1000)

    const scoped = steps['token-rescoped']
    expect(scoped).toMatchObject({
      user_id: tenant.user.id,
      scoped: true,
      project_id: tenant.account.id,
      project_name: tenant.account.name,
      roles: ['admin', 'member'],
      expires: unscoped.expires,
      audit_chain_id: unscoped.audit_id,
      monitoring: `${baseUrl}/v1.0/${tenant.account.id}`,
      identity_admin: `${baseUrl}/v2.0`
    })
    expect(scoped.token).not.toBe(unscoped.token)

    expect(steps['password-scoped-by-name']).toMatchObject({ project_id: tenant.account.id, roles: ['admin', 'member'] })
    expect(steps['generic-discovery']).toMatchObject({ version: 'v2.0', project_id: tenant.account.id })
    expect(steps.validate).toMatchObject({ user_id: tenant.user.id, tenant_id: tenant.account.id })
    expect(steps.check).toMatchObject({ status: 200 })
    expect(steps.revoke).toMatchObject({ status: 204 })
    expect(steps['validate-revoked']).toMatchObject({ error: 'NotFound', status: 404 })
    expect(steps['use-revoked']).toMatchObject({ error: 'Unauthorized', status: 401 })
    expect(steps['rescope-revoked']).toMatchObject({ error: 'Unauthorized', status: 401 })
    expect(steps['wrong-password']).toMatchObject({ error: 'Unauthorized', status: 401 })
    expect(steps.done).toBeDefined()
  })

  clientTest(fogCheck(), 'fog-rackspace Identity: API-key login, catalog, tenants, re-authentication after revocation', async () => {
    const run = await runClient(DEBIAN_RUBY, [script('fog_identity.rb')], {
      TESSERA_URL: baseUrl,
      TESSERA_USERNAME: tenant.user.name,
      TESSERA_API_KEY: tenant.apiKey
    })
    expect(run.code, run.stderr).toBe(0)
    const steps = Object.fromEntries(run.events.map((event) => [event.step, event]))

    expect(steps.authenticated.token).toMatch(/^[0-9a-f]{64}$/)
    expect(steps.authenticated.services).toEqual(['cloudMonitoring', 'keystone'])
    expect(steps.authenticated.monitoring).toBe(`${baseUrl}/v1.0/${tenant.account.id}`)
    expect(steps.tenants.tenants).toEqual([{ id: tenant.account.id, name: tenant.account.name, enabled: true }])
    expect(steps.revoked.status).toBe(204)
    expect(steps.reauthenticated).toEqual({ step: 'reauthenticated', token_changed: true, tenants: [tenant.account.id] })
    expect(steps['wrong-key']).toMatchObject({ error: 'Excon::Error::Unauthorized', status: 401 })
    expect(steps.done).toBeDefined()
  })
})
