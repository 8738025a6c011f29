import { performance } from 'node:perf_hooks'
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../../src/app.js'
import { OWASP_ARGON2 } from '../../../src/core/credentials.js'
import { createUser } from '../../../src/services/identity.js'
import { insertAccount, unique } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

/**
 * A Conjur login must not tell which accounts exist by how long its refusal takes: a login to an
 * unknown or disabled account does the same work as one to a real account. Shown two ways: the
 * work counted (statements, password verifications) on every branch, and the time measured on
 * the branch where the work is an argon2 verification, at production's cost, as medians of
 * interleaved samples, so that a loaded machine slows both alike.
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

const basic = (login: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}` })

it('refuses a login to an unknown account as slowly as one to a known account (medians within 1.5×)', async () => {
  // Hashed at the server's own cost (the factories hash cheaply), as every real user is.
  const account = await insertAccount(t.app.db)
  const { user } = await createUser(t.app.db, t.app.credentialTools, { accountId: account.id, name: unique('user'), password: unique('pw'), roles: ['member'] })
  const timed = async (accountName: string) => {
    const started = performance.now()
    const response = await t.app.inject({ url: `/authn/${accountName}/login`, headers: basic(user.name, 'not-the-password') })
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

describe('the work a refused login does, whether its account exists, is disabled or not', () => {
  /** Counts the SELECT statements the app runs (the audit trail's deferred INSERTs are not reads). */
  class ReadCounter implements KyselyPlugin {
    reads = 0
    transformQuery ({ node }: PluginTransformQueryArgs) {
      if (node.kind === 'SelectQueryNode') this.reads++
      return node
    }

    async transformResult ({ result }: PluginTransformResultArgs) {
      return result
    }
  }
  const counter = new ReadCounter()
  let app: App
  let verifications = 0
  const accounts: Record<string, string> = {}

  beforeAll(async () => {
    app = await buildApp({ config: t.config, db: t.app.db.withPlugin(counter) })
    await app.ready()
    const passwords = app.credentialTools.passwords
    const verify = passwords.verify.bind(passwords)
    passwords.verify = (storedHash, password) => {
      verifications++
      return verify(storedHash, password)
    }
    const known = await insertAccount(t.app.db)
    const disabled = await insertAccount(t.app.db, { enabled: false })
    for (const account of [known, disabled]) await createUser(t.app.db, t.app.credentialTools, { accountId: account.id, name: `member-${account.id}`, password: unique('pw'), roles: ['member'] })
    accounts.known = known.name
    accounts.disabled = disabled.name
    accounts.unknown = unique('no-such-account')
  })
  afterAll(() => app?.close())

  const LOGINS: Record<string, (accountName: string) => { method: 'GET' | 'POST', url: string, headers?: Record<string, string>, payload?: string }> = {
    'a user\'s wrong password': (name) => ({ method: 'GET', url: `/authn/${name}/login`, headers: basic('member-x', 'wrong') }),
    'user/<name>': (name) => ({ method: 'GET', url: `/authn/${name}/login`, headers: basic('user/member-x', 'wrong') }),
    'a host\'s wrong key': (name) => ({ method: 'GET', url: `/authn/${name}/login`, headers: basic('host/web-01', 'wrong') }),
    'an empty secret': (name) => ({ method: 'GET', url: `/authn/${name}/login`, headers: basic('member-x', '') }),
    'authenticate, a user': (name) => ({ method: 'POST', url: `/authn/${name}/member-x/authenticate`, payload: 'wrong-key' }),
    'authenticate, a host': (name) => ({ method: 'POST', url: `/authn/${name}/host%2Fweb-01/authenticate`, payload: 'wrong-key' })
  }

  it.each(Object.keys(LOGINS))('%s', async (form) => {
    const work: Record<string, { reads: number, verifications: number }> = {}
    for (const state of ['known', 'unknown', 'disabled']) {
      const [readsBefore, verificationsBefore] = [counter.reads, verifications]
      const response = await app.inject(LOGINS[form]!(accounts[state]!))
      expect(response.statusCode).toBe(401)
      expect(response.body).toBe('')
      work[state] = { reads: counter.reads - readsBefore, verifications: verifications - verificationsBefore }
    }
    expect(work.unknown).toEqual(work.known)
    expect(work.disabled).toEqual(work.known)
  })
})
