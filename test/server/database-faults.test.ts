import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { App } from '../../src/app.js'
import { eventually } from '../helpers/eventually.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { ANSWER_WITHIN_MS, expectUnavailable, recovery, RECOVERY_WITHIN_MS, seedProbes, sendAll, startFaultApp, type Probe } from './fault-probes.js'

describe.runIf(inject('testDatabase').kind === 'postgres')('database faults through a TCP proxy (PostgreSQL only: PGlite has no connection to lose)', () => {
  let database: TestDatabase
  let proxy: TcpProxy
  let app: App
  let closeApp: (() => Promise<void>) | undefined
  let probes: Probe[]
  const figures: Record<string, unknown> = {}

  beforeAll(async () => {
    database = await createTestDatabase()
    const target = new URL(database.url!)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    const started = await startFaultApp(proxy.proxied(database.url!))
    app = started.app
    closeApp = started.close
    probes = await seedProbes(app)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true), 5000)
  })
  afterAll(async () => {
    console.info(`database faults: ${JSON.stringify(figures)}`)
    proxy?.restore()
    await closeApp?.()
    await proxy?.close()
    await database?.drop()
  })

  it('answers every probe normally through the proxy', async () => {
    await recovery(app, probes, RECOVERY_WITHIN_MS)
  })

  it('a cut link: 503 in every dialect at once, /readyz 503, the credential cache off; then it recovers by itself', async () => {
    proxy.cut()
    await eventually(() => expect(app.credentialCache.enabled).toBe(false), ANSWER_WITHIN_MS)
    const answers = await sendAll(app, probes, 2)
    for (const answer of answers) expectUnavailable(answer, ANSWER_WITHIN_MS)
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)
    figures.cutSlowestMs = Math.round(Math.max(...answers.map((answer) => answer.ms)))

    proxy.restore()
    figures.cutRecoveryMs = await recovery(app, probes, RECOVERY_WITHIN_MS)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true), RECOVERY_WITHIN_MS)
  }, 30_000)

  it('a blackholed link (no answer, no RST): 503 within the configured timeouts, the LISTEN connection given up; then it recovers by itself', async () => {
    const started = Date.now()
    proxy.blackhole()
    // Three times the pool's size at once: requests wait for a client as well as for answers.
    const answers = await sendAll(app, probes, 3)
    for (const answer of answers) expectUnavailable(answer, ANSWER_WITHIN_MS)
    figures.blackholeSlowestMs = Math.round(Math.max(...answers.map((answer) => answer.ms)))
    // Nothing tells the LISTEN connection it is dead: the cache must find out by itself, and soon.
    await eventually(() => expect(app.credentialCache.enabled).toBe(false), 4000, 20)
    figures.blackholeCacheOffAfterMs = Date.now() - started
    for (const answer of await sendAll(app, probes)) expectUnavailable(answer, ANSWER_WITHIN_MS)

    proxy.restore()
    figures.blackholeRecoveryMs = await recovery(app, probes, RECOVERY_WITHIN_MS)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true), RECOVERY_WITHIN_MS)
  }, 60_000)
})
