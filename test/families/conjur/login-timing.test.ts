import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { OWASP_ARGON2 } from '../../../src/core/credentials.js'
import { createUser } from '../../../src/services/identity.js'
import { insertAccount, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

/**
 * A Conjur login must not tell which accounts exist by how long its refusal takes: a login to an
 * unknown account does the same password work as one to a real account. Production's argon2
 * cost, so that the work a refusal skips would show; medians of interleaved samples, so that
 * a loaded machine slows both alike.
 */
const SAMPLES = 15
const WARM_UP = 3

let t: TestApp
beforeAll(async () => { t = await setupTestApp({ config: { passwordHashing: OWASP_ARGON2 } }) })
afterAll(() => t?.close())

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

it('refuses a login to an unknown account as slowly as one to a known account (medians within 1.5×)', async () => {
  // Hashed at the server's own cost (the factories hash cheaply), as every real user is.
  const account = await insertAccount(t.app.db)
  const { user } = await createUser(t.app.db, t.app.credentialTools, { accountId: account.id, name: unique('user'), password: unique('pw'), roles: ['member'] })
  const basic = `Basic ${Buffer.from(`${user.name}:not-the-password`).toString('base64')}`
  const timed = async (accountName: string) => {
    const started = performance.now()
    const response = await t.app.inject({ url: `/authn/${accountName}/login`, headers: { authorization: basic } })
    expect(response.statusCode).toBe(401)
    expect(response.body).toBe('')
    return performance.now() - started
  }
  const known: number[] = []
  const unknown: number[] = []
  for (let sample = 0; sample < WARM_UP + SAMPLES; sample++) {
    const [k, u] = [await timed(account.name), await timed(unique('no-such-account'))]
    if (sample < WARM_UP) continue
    known.push(k)
    unknown.push(u)
  }
  const ratio = median(known) / median(unknown)
  expect(ratio, `known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms`).toBeLessThan(1.5)
  expect(ratio).toBeGreaterThan(1 / 1.5)
})
