import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTenantUser, type UserFixture } from '../helpers/factories.js'
import { DEBIAN_RUBY, fogCheck, listen, REQUIRE_CLIENTS, runClient } from '../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const script = fileURLToPath(new URL('fog_monitoring.rb', import.meta.url))
const fog = fogCheck()
const TXN_ID = /^\.rh-[a-z0-9]{4}\.h-[A-Za-z0-9-]+\.r-[0-9a-f-]{36}\.c-\d+\.ts-\d{13}\.v-/

describe('fog-rackspace Monitoring against a listening server', () => {
  let t: TestApp
  let baseUrl: string
  let tenant: { account: { id: string } } & UserFixture

  beforeAll(async () => {
    t = await setupTestApp()
    baseUrl = await listen(t.app)
    // fog finds Monitoring through the catalog; tenant ids here are digits and lower-case hex.
    tenant = await insertTenantUser(t.app.db, ['admin'])
  })
  afterAll(() => t?.close())

  // Skipped, with the reason, only where fog is missing and CI did not require the clients.
  const test = !fog.available && !REQUIRE_CLIENTS ? it.skip : it
  test(`agent tokens: API-key login, create, get, paged list, 400, re-authentication, delete, 404${fog.available ? '' : ` (skipped: ${fog.reason})`}`, async () => {
    expect(fog.available, fog.reason).toBe(true)
    const run = await runClient(DEBIAN_RUBY, [script], {
      TESSERA_URL: baseUrl,
      TESSERA_USERNAME: tenant.user.name,
      TESSERA_API_KEY: tenant.apiKey
    })
    expect(run.code, run.stderr).toBe(0)
    const steps = Object.fromEntries(run.events.map((event) => [event.step, event]))
    const tenantId = tenant.account.id
    const idPattern = new RegExp(`^[0-9a-f]{64}\\.${tenantId}$`)

    expect(steps.connected.endpoint).toBe(`${baseUrl}/v1.0/${tenantId}`)
    const id = steps.created.id
    expect(id).toMatch(idPattern)
    expect(steps.fetched).toEqual({ step: 'fetched', id, token: id, label: 'fog-agent' })
    expect(steps['created-unlabelled']).toMatchObject({ label: null })

    // Five tokens in pages of two: 2, 2, 1, in id order, each exactly once.
    const pages: string[][] = steps.listed.pages
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1])
    const listed = pages.flat()
    expect(listed).toEqual([...listed].sort())
    expect(new Set(listed).size).toBe(5)
    expect(listed).toContain(id)
    expect(listed).toContain(steps['created-unlabelled'].id)
    expect([...steps.listed.labels].sort()).toEqual([null, 'fog-agent', 'fog-extra-0', 'fog-extra-1', 'fog-extra-2'].sort())

    expect(steps['bad-label']).toMatchObject({
      error: 'Fog::Rackspace::Monitoring::BadRequest',
      status: 400,
      validation_errors: 'label must NOT have more than 255 characters'
    })
    expect(steps['bad-label'].message).toContain("Validation error for key 'label'")
    expect(steps['bad-label'].transaction_id).toMatch(TXN_ID)

    expect(steps.revoked.status).toBe(204)
    expect(steps.reauthenticated).toEqual({ step: 'reauthenticated', token_changed: true, id })

    expect(steps.deleted.result).toBe(204)
    expect(steps['after-delete']).toEqual({ step: 'after-delete', found: null })
    expect(steps['delete-again']).toMatchObject({ error: 'Fog::Rackspace::Monitoring::NotFound', status: 404 })
    expect(steps['delete-again'].transaction_id).toMatch(TXN_ID)
    expect(steps.done).toBeDefined()
  }, 120_000)
})
