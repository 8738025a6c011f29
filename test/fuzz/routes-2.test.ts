import { expect, it } from 'vitest'
import { fuzzRouteShare } from './route-share.js'
import { fuzzRawRequests } from './run-raw-fuzz.js'
import { fuzzSettings } from './settings.js'

/** Half 2 of 2 of the OpenAPI operations (the other half: routes-1.test.ts, on another worker). */
const testApp = fuzzRouteShare(1, 2)

it('answers raw requests Node\'s parser or the app refuses (bad bytes, broken headers) in the family\'s error shape, over a real socket', async () => {
  const t = testApp()
  const settings = fuzzSettings(t.database.kind)
  const runs = Math.max(50, Math.round(settings.runs / 20))
  const report = await fuzzRawRequests(t.app, { ...settings, runs })
  console.log(`raw fuzz seed ${settings.seed}: ${JSON.stringify(report)}`)
  expect(report.requests).toBe(runs)
}, 600_000)
