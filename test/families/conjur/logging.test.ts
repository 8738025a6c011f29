import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../../src/app.js'
import { FAMILIES } from '../../../src/families/index.js'
import { loggerOptions } from '../../../src/logging.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { createHost, createHostFactory, hfId, newTenant, newTokens, userHeader } from './helpers.js'

describe('Conjur secrets in logs', () => {
  let t: TestApp
  let app: App
  const lines: string[] = []

  beforeAll(async () => {
    t = await setupTestApp()
    const sink = new Writable({
      write (chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      }
    })
    app = await buildApp({ config: t.config, db: t.app.db, logger: pino(loggerOptions({ logLevel: 'info' }, FAMILIES), sink) })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await t?.close()
  })

  it('never logs a host factory token, an API key or an access token', async () => {
    const tenant = await newTenant(app)
    const factory = await createHostFactory(app, tenant)
    const header = await userHeader(app, tenant, tenant.admin)
    const [token, revoked] = await newTokens(app, header, { host_factory: hfId(tenant, factory), count: 2 })
    const host = (await createHost(app, token!.token, { id: 'logged-host' })).json()
    await app.inject({ url: `/authn/${tenant.account.name}/login`, headers: { authorization: `Basic ${Buffer.from(`host/logged-host:${host.api_key}`).toString('base64')}` } })
    expect((await app.inject({ method: 'DELETE', url: `/host_factory_tokens/${revoked!.token}`, headers: { authorization: header } })).statusCode).toBe(204)
    // A token that is not found is quoted in the reply, and still not in the log.
    const missing = await app.inject({ method: 'DELETE', url: `/host_factory_tokens/${revoked!.token}`, headers: { authorization: header } })
    expect(missing.json().error.message).toContain(revoked!.token)

    const text = lines.join('')
    expect(text).toContain('host factory tokens created')
    expect(text).toContain('host enrolled')
    for (const secret of [token!.token, revoked!.token, host.api_key, tenant.admin.apiKey, header.slice('Token token="'.length, -1)]) expect(text).not.toContain(secret)
  })
})
