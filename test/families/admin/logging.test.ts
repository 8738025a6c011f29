import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../../src/app.js'
import { insertAccount, superAdminSession, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call } from './admin-helpers.js'

describe('admin API logging', () => {
  let t: TestApp
  let app: App
  const lines: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    t = await setupTestApp()
    const sink = new Writable({
      write (chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)))
        done()
      }
    })
    app = await buildApp({ config: t.config, db: t.app.db, logger: pino({ level: 'info' }, sink) })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await t?.close()
  })

  it('records who changed what, and never a password or an API key', async () => {
    const { token } = await superAdminSession(t.app)
    const account = await insertAccount(t.app.db)
    const password = 'logged-password-must-not-appear'
    const created = await call(app, token, 'POST', `/accounts/${account.id}/users`, { name: unique('logged'), password, roles: ['member'] })
    expect(created.statusCode).toBe(201)
    const { id: userId, apiKey } = created.json()
    const newPassword = 'second-password-must-not-appear'
    expect((await call(app, token, 'PATCH', `/accounts/${account.id}/users/${userId}`, { password: newPassword })).statusCode).toBe(200)
    const rotated = await call(app, token, 'POST', `/accounts/${account.id}/users/${userId}/api-key`)
    expect(rotated.statusCode).toBe(200)

    expect(lines).toContainEqual(expect.objectContaining({ msg: 'user created', accountId: account.id, userId, roles: ['member'] }))
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'user changed', accountId: account.id, userId, changed: ['password'] }))
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'api key rotated', accountId: account.id, userId }))
    const text = lines.map((line) => JSON.stringify(line)).join('\n')
    for (const secret of [password, newPassword, apiKey, rotated.json().apiKey, token]) expect(text).not.toContain(secret)
  })
})
