import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { insertAccount, insertUser, login } from '../helpers/factories.js'
import { setupTestApp, type TestApp } from '../helpers/test-app.js'

const STABLE = 12
const PAGE = 4
const WALKERS = 3
const ROUNDS = 12
const WALKS_EACH = 3

/** One keyset-paginated list, and how to add and remove its items through the API. */
interface Listing {
  name: string
  /** One page: the ids on it and the next page's cursor (undefined at the end). */
  page (cursor: string | undefined): Promise<{ ids: string[], next: string | undefined }>
  /** Creates one item; returns its id and the secret the API handed out (if any). */
  create (n: number): Promise<{ id: string, secret: string }>
  remove (id: string): Promise<void>
  /** Whether the item can still be read. */
  exists (id: string): Promise<boolean>
}

function expectStatus (reply: { statusCode: number, body: string }, status: number, what: string): void {
  if (reply.statusCode !== status) throw new Error(`${what}: ${reply.statusCode} ${reply.body}`)
}

function listings (app: App, f: { accountId: string, userId: string, session: string }): Listing[] {
  const auth = { 'x-auth-token': f.session }
  const agentTokens = `/v1.0/${f.accountId}/agent_tokens`
  const astraTokens = `/accounts/${f.accountId}/core/v1/users/${f.userId}/tokens`
  const users = `/admin/v1/accounts/${f.accountId}/users`
  return [
    {
      name: 'agent tokens (marker)',
      async page (cursor) {
        const reply = await app.inject({ url: agentTokens, query: { limit: String(PAGE), ...(cursor ? { marker: cursor } : {}) }, headers: auth })
        expectStatus(reply, 200, 'agent token page')
        const body = reply.json()
        return { ids: body.values.map((value: { id: string }) => value.id), next: body.metadata.next_marker ?? undefined }
      },
      async create (n) {
        const reply = await app.inject({ method: 'POST', url: agentTokens, headers: auth, payload: { label: `walk-${n}` } })
        expectStatus(reply, 201, 'agent token create')
        const id = String(reply.headers['x-object-id'])
        return { id, secret: id }
      },
      async remove (id) { expectStatus(await app.inject({ method: 'DELETE', url: `${agentTokens}/${id}`, headers: auth }), 204, 'agent token delete') },
      async exists (id) { return (await app.inject({ url: `${agentTokens}/${id}`, headers: auth })).statusCode === 200 }
    },
    {
      name: 'Astra tokens (continue)',
      async page (cursor) {
        const reply = await app.inject({ url: astraTokens, query: { limit: String(PAGE), ...(cursor ? { continue: cursor } : {}) }, headers: { authorization: `Bearer ${f.session}` } })
        expectStatus(reply, 200, 'Astra page')
        const body = reply.json()
        return { ids: body.items.map((item: { id: string }) => item.id), next: body.metadata.continue ?? undefined }
      },
      async create (n) {
        const reply = await app.inject({ method: 'POST', url: astraTokens, headers: { authorization: `Bearer ${f.session}` }, payload: { type: 'application/astra-token', version: '1.0', name: `walk-${n}` } })
        expectStatus(reply, 201, 'Astra create')
        return { id: reply.json().id, secret: reply.json().token }
      },
      async remove (id) { expectStatus(await app.inject({ method: 'DELETE', url: `${astraTokens}/${id}`, headers: { authorization: `Bearer ${f.session}` } }), 204, 'Astra delete') },
      async exists (id) { return (await app.inject({ url: `${astraTokens}/${id}`, headers: { authorization: `Bearer ${f.session}` } })).statusCode === 200 }
    },
    {
      name: 'admin users (after)',
      async page (cursor) {
        const reply = await app.inject({ url: users, query: { limit: String(PAGE), ...(cursor ? { after: cursor } : {}) }, headers: auth })
        expectStatus(reply, 200, 'admin page')
        const body = reply.json()
        return { ids: body.items.map((item: { id: string }) => item.id), next: body.nextCursor ?? undefined }
      },
      async create (n) {
        const reply = await app.inject({ method: 'POST', url: users, headers: auth, payload: { name: `walker-${n}-${randomUUID().slice(0, 8)}`, roles: ['member'] } })
        expectStatus(reply, 201, 'admin user create')
        return { id: reply.json().id, secret: reply.json().apiKey }
      },
      async remove (id) { expectStatus(await app.inject({ method: 'DELETE', url: `${users}/${id}`, headers: auth }), 204, 'admin user delete') },
      async exists (id) { return (await app.inject({ url: `${users}/${id}`, headers: auth })).statusCode === 200 }
    }
  ]
}

/** Pages from the first to the last; every id each page showed, in order. */
async function walk (listing: Listing): Promise<string[]> {
  const seen: string[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const { ids, next } = await listing.page(cursor)
    seen.push(...ids)
    if (next === undefined) return seen
    cursor = next
  }
  throw new Error(`${listing.name}: the walk never ended`)
}

describe('concurrent creates, revokes and list walks', () => {
  let t: TestApp
  let all: Listing[]
  beforeAll(async () => {
    t = await setupTestApp()
    // Astra wants a UUID account id; the other families take it too.
    const account = await insertAccount(t.app.db, { id: randomUUID() })
    const user = await insertUser(t.app.db, { accountId: account.id, roles: ['admin'] })
    const session = await login(t.app, { username: user.user.name, password: user.password, tenantId: account.id })
    all = listings(t.app, { accountId: account.id, userId: user.user.id, session: session.token })
  })
  afterAll(() => t?.close())

  it.each([0, 1, 2])('listing %i: no walk repeats an item or skips one that existed throughout; no secret is handed out twice; a revoke holds', async (index) => {
    const listing = all[index]!
    const stable = new Set<string>()
    for (let n = 0; n < STABLE; n++) stable.add((await listing.create(n)).id)
    const before = new Set(await walk(listing))

    const secrets: string[] = []
    const revoked: string[] = []
    // Churn: create two, revoke one of them, over and over, while the walkers page.
    async function mutate (worker: number): Promise<void> {
      for (let round = 0; round < ROUNDS; round++) {
        const [kept, dropped] = await Promise.all([listing.create(1000 + worker * 100 + round * 2), listing.create(1001 + worker * 100 + round * 2)])
        secrets.push(kept!.secret, dropped!.secret)
        await listing.remove(dropped!.id)
        revoked.push(dropped!.id)
      }
    }
    const walks: string[][] = []
    async function walker (): Promise<void> {
      for (let n = 0; n < WALKS_EACH; n++) walks.push(await walk(listing))
    }
    await Promise.all([mutate(0), mutate(1), ...Array.from({ length: WALKERS }, walker)])

    expect(walks).toHaveLength(WALKERS * WALKS_EACH)
    for (const seen of walks) {
      expect(seen.length - new Set(seen).size, `${listing.name}: repeated items`).toBe(0)
      expect([...before].filter((id) => !seen.includes(id)), `${listing.name}: items skipped`).toEqual([])
    }
    expect(new Set(secrets).size).toBe(secrets.length)
    for (const id of revoked) expect(await listing.exists(id), `${listing.name}: ${id} revoked`).toBe(false)
    const after = new Set(await walk(listing))
    for (const id of revoked) expect(after.has(id)).toBe(false)
    for (const id of stable) expect(after.has(id)).toBe(true)
  }, 60_000)
})
