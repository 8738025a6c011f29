import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { App } from '../../src/app.js'
import { createDb } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { eventually } from '../helpers/eventually.js'
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'
import { ANSWER_WITHIN_MS, expectUnavailable, recovery, RECOVERY_WITHIN_MS, seedProbes, sendAll, startFaultApp, type Probe } from './fault-probes.js'
import { freePort } from './server-process.js'

// Never the shared server: other test files and engineers use it. This test stops a server of its own.
const unavailable = privatePostgresUnavailable()

describe.runIf(inject('testDatabase').kind === 'postgres' && unavailable === undefined)(`a restart of PostgreSQL itself (a private server, in the PostgreSQL run only${unavailable ? `; here: ${unavailable}` : ''})`, () => {
  let postgres: PrivatePostgres | undefined
  let app: App
  let closeApp: (() => Promise<void>) | undefined
  let probes: Probe[]
  const figures: Record<string, unknown> = {}

  beforeAll(async () => {
    const started = Date.now()
    postgres = await startPrivatePostgres(await freePort())
    figures.privateServerReadyMs = Date.now() - started
    const { db } = createDb({ databaseUrl: postgres.url, poolMax: 1 })
    await migrateToLatest(db)
    await db.destroy()
    ;({ app, close: closeApp } = await startFaultApp(postgres.url))
    probes = await seedProbes(app)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true), 5000)
  })
  afterAll(async () => {
    console.info(`postgres restart: ${JSON.stringify(figures)}`)
    await closeApp?.()
    await postgres?.destroy()
  })

  it.each(['fast', 'immediate'] as const)('stopped (%s): 503 in every dialect within the timeouts, the cache off; started again: serves by itself', async (mode) => {
    await recovery(app, probes, RECOVERY_WITHIN_MS)

    await postgres!.stop(mode)
    await eventually(() => expect(app.credentialCache.enabled).toBe(false), ANSWER_WITHIN_MS)
    const answers = await sendAll(app, probes, 2)
    for (const answer of answers) expectUnavailable(answer, ANSWER_WITHIN_MS)
    figures[`${mode}SlowestMs`] = Math.round(Math.max(...answers.map((answer) => answer.ms)))

    const restarted = Date.now()
    await postgres!.start()
    figures[`${mode}StartMs`] = Date.now() - restarted
    figures[`${mode}RecoveryMs`] = await recovery(app, probes, RECOVERY_WITHIN_MS)
    await eventually(() => expect(app.credentialCache.enabled).toBe(true), RECOVERY_WITHIN_MS)
  }, 60_000)
})
