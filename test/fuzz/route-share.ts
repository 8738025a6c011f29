import { afterAll, beforeAll, expect, it } from 'vitest'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'
import { fuzzRoutes } from './run-fuzz.js'
import { fuzzSettings } from './settings.js'

/**
 * The fuzz test of one share of the OpenAPI operations (`part` of `parts`), on an app of its
 * own: each routes-N file runs one, so the shares run on parallel workers. Returns the app.
 */
export function fuzzRouteShare (part: number, parts: number): () => TestApp {
  let t: TestApp
  beforeAll(async () => { t = await setupTestApp() })
  afterAll(() => t?.close())

  it('answers generated and hostile requests without a 5xx, in the family\'s error shape, changing nothing when it refuses', async () => {
    const settings = fuzzSettings(t.database.kind)
    const cpu = process.cpuUsage()
    const report = await fuzzRoutes({ app: t.app, db: t.database.db, share: [part, parts], ...settings })
    const { user, system } = process.cpuUsage(cpu)
    console.log(`fuzz seed ${settings.seed}, ${Math.round((user + system) / 1000)} ms of CPU: ${JSON.stringify(report)}`)
    expect(report.requests).toBeGreaterThanOrEqual(settings.runs)
    // Generated requests reach past authentication, and some succeed.
    expect(Object.keys(report.statuses).filter((status) => Number(status) < 300).length).toBeGreaterThan(0)
    expect(report.comparedBatches).toBeGreaterThan(0)
  }, 600_000)

  return () => t
}
