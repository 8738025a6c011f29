import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAMILIES } from '../../src/families/index.js'
import { insertTenantUser } from '../helpers/factories.js'
import { listen, REQUIRE_CLIENTS } from '../helpers/real-clients.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

/**
 * The explorer (/docs) as a user meets it: Debian's Chromium, headless, through playwright-core,
 * against the app on a real socket. Skipped, with the reason, only where Chromium is missing and
 * CI did not require it (TESSERA_REQUIRE_CLIENTS=1): then a missing Chromium fails.
 */
const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))
/** Generous: a loaded 2-core machine renders a 56-operation explorer slowly. */
const WAIT = { timeout: 60_000 }
/** Runs in the page (this project has no DOM types): a CSP violation's details, as a console error. */
const CSP_REPORTER = `document.addEventListener('securitypolicyviolation', (event) => {
  const element = event.target instanceof Element ? event.target.outerHTML.slice(0, 200) : String(event.target)
  console.error('CSP ' + event.effectiveDirective + ' blocked ' + event.blockedURI + ' at ' + event.sourceFile + ':' + event.lineNumber + ' on ' + element)
})`

describe('the explorer in a real browser', () => {
  let t: TestApp
  let baseUrl: string
  let browser: Browser
  let page: Page
  /** What the page's console reported as an error (a CSP violation, a failed asset…). */
  const consoleErrors: string[] = []

  beforeAll(async () => {
    // Without Chromium the test is skipped, or (CI) fails on its first line, saying why.
    if (!hasChromium) return
    t = await setupTestApp()
    baseUrl = await listen(t.app)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: no sandbox. No network of its own (updates, sync, QUIC probes).
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
    // A new context is a fresh profile: no cookies, storage or cached assets from an earlier run.
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()) })
    page.on('pageerror', (error) => consoleErrors.push(error.message))
    await page.addInitScript({ content: CSP_REPORTER })
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const test = !hasChromium && !REQUIRE_CLIENTS ? it.skip : it
  test(`lists every family, authorises with a Keystone token and creates an agent token from the page${hasChromium ? '' : ` (${CHROMIUM} is missing: apt-get install chromium)`}`, async () => {
    expect(hasChromium, `${CHROMIUM} is missing (apt-get install chromium)`).toBe(true)

    // A tenant administrator and their token, from the API as any client gets it.
    const tenant = await insertTenantUser(t.app.db, ['admin'])
    const login = await fetch(`${baseUrl}/v2.0/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { passwordCredentials: { username: tenant.user.name, password: tenant.password }, tenantId: tenant.account.id } })
    })
    expect(login.status).toBe(200)
    const token = ((await login.json()) as { access: { token: { id: string } } }).access.token.id

    const loaded = await page.goto(`${baseUrl}/docs`, { waitUntil: 'load', ...WAIT })
    expect(loaded?.status()).toBe(200)

    // Every family's tag, the admin API's among them, and the probes.
    const tags = [...FAMILIES.flatMap((family) => family.openApi.tags.map((tag) => tag.name)), 'operations']
    expect(tags).toContain('admin')
    for (const tag of tags) await expect(page.locator(`h3.opblock-tag[data-tag="${tag}"]`).waitFor(WAIT)).resolves.toBeUndefined()

    // Authorize: the token for the scheme the agent-token API declares (X-Auth-Token).
    await page.getByRole('button', { name: 'Authorize' }).first().click()
    const dialog = page.locator('.dialog-ux .modal-ux')
    await dialog.waitFor(WAIT)
    const scheme = dialog.locator('.auth-container').filter({ has: page.locator('h4', { hasText: /^authToken\b/ }) })
    await expect(scheme.getByText('X-Auth-Token').count()).resolves.toBeGreaterThan(0)
    await scheme.locator('input').fill(token)
    // The dialog's buttons are named for screen readers: "Authorize" applies, "Logout" removes.
    await scheme.getByRole('button', { name: 'Apply credentials' }).click()
    await scheme.getByRole('button', { name: 'Remove authorization' }).waitFor(WAIT)
    await dialog.getByRole('button', { name: 'Close' }).first().click()
    await dialog.waitFor({ state: 'detached', ...WAIT })

    // POST /v1.0/{tenantId}/agent_tokens: expand, try it out, fill, execute.
    const operation = page.locator('#operations-agent-tokens-createAgentToken')
    await operation.locator('.opblock-summary').first().click()
    // The explorer opens operations ready to try (tryItOutEnabled): "Try it out" is pressed already.
    await operation.getByRole('button', { name: 'Cancel' }).waitFor(WAIT)
    await expect(operation.getByRole('button', { name: 'Try it out' }).count()).resolves.toBe(0)
    await operation.locator('tr[data-param-name="tenantId"] input').fill(tenant.account.id)
    await operation.locator('textarea.body-param__text').fill(JSON.stringify({ label: 'from the explorer' }))
    await operation.getByRole('button', { name: 'Execute' }).click()

    const status = operation.locator('.live-responses-table tr.response .response-col_status')
    await expect(status.waitFor(WAIT)).resolves.toBeUndefined()
    expect((await status.innerText()).trim()).toBe('201')
    // Sent to this server, with nothing the user did not fill in (no optional parameter prefilled).
    expect((await operation.locator('.request-url pre').innerText()).trim()).toBe(`${baseUrl}/v1.0/${tenant.account.id}/agent_tokens`)
    // The rendered headers name the new token; it is there, with the label the page sent.
    const headers = await operation.locator('.live-responses-table tr.response').innerText()
    const id = /x-object-id: (\S+)/i.exec(headers)?.[1]
    expect(id, headers).toMatch(new RegExp(`^[0-9a-f]{64}\\.${tenant.account.id}$`))
    const fetched = await fetch(`${baseUrl}/v1.0/${tenant.account.id}/agent_tokens/${id}`, { headers: { 'x-auth-token': token } })
    expect(fetched.status).toBe(200)
    expect(await fetched.json()).toMatchObject({ id, label: 'from the explorer' })

    await mkdir(ARTIFACTS, { recursive: true })
    // The operation from its title to the server's answer, in one tall view.
    await page.setViewportSize({ width: 1280, height: 2200 })
    await operation.evaluate((element) => element.scrollIntoView({ block: 'start' }))
    await page.screenshot({ path: `${ARTIFACTS}explorer.png` })

    // Nothing the page needed was refused (a CSP violation is a console error) or failed.
    expect(consoleErrors).toEqual([])
  }, 180_000)
})
