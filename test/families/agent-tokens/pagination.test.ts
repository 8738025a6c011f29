import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tenantSession } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, collection, createToken, expectError, expectMonitoringHeaders, JSON_TYPE, type Caller } from './helpers.js'

const TOKENS = 150

describe('GET /v1.0/{tenantId}/agent_tokens pagination (§10.4)', () => {
  let t: TestApp
  let caller: Caller
  /** The tenant's tokens, in id order. */
  let ids: string[]

  beforeAll(async () => {
    t = await setupTestApp()
    const session = await tenantSession(t.app, ['admin'])
    caller = { token: session.token, tenantId: session.account.id }
    ids = []
    for (let i = 0; i < TOKENS; i += 10) {
      ids.push(...await Promise.all(Array.from({ length: 10 }, (_, j) => createToken(t.app, caller, { label: `agent-${i + j}` }))))
    }
    ids.sort()
  })
  afterAll(() => t?.close())

  const list = (query = '', who: Caller = caller) => call(t.app, who, 'GET', `${collection(who.tenantId)}${query}`)
  const nextHref = (limit: number, marker: string) =>
    `http://localhost:80/v1.0/${caller.tenantId}/agent_tokens?limit=${limit}&marker=${encodeURIComponent(marker)}`

  it('answers the first page with the default limit of 100 and full metadata', async () => {
    const response = await list()
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe(JSON_TYPE)
    expectMonitoringHeaders(response)
    const body = response.json()
    expect(body.values.map((token: { id: string }) => token.id)).toEqual(ids.slice(0, 100))
    for (const token of body.values) expect(token).toEqual({ id: token.id, token: token.id, label: expect.stringMatching(/^agent-\d+$/), accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) })
    expect(body.metadata).toEqual({ count: 100, limit: 100, marker: null, next_marker: ids[100], next_href: nextHref(100, ids[100]!) })
  })

  it('starts a page at the marker (inclusive) and ends with nulls', async () => {
    const response = await list(`?limit=100&marker=${ids[100]}`)
    expect(response.json()).toEqual({
      values: expect.any(Array),
      metadata: { count: TOKENS - 100, limit: 100, marker: ids[100], next_marker: null, next_href: null }
    })
    expect(response.json().values.map((token: { id: string }) => token.id)).toEqual(ids.slice(100))
  })

  it('follows next_href to the same page as next_marker', async () => {
    const first = (await list('?limit=7')).json()
    const href = new URL(first.metadata.next_href)
    expect(href.searchParams.get('limit')).toBe('7')
    expect(href.searchParams.get('marker')).toBe(first.metadata.next_marker)
    const viaHref = await call(t.app, caller, 'GET', `${href.pathname}${href.search}`)
    expect(viaHref.json().values.map((token: { id: string }) => token.id)).toEqual(ids.slice(7, 14))
  })

  it('walks every page size to the end, nothing lost or repeated, while tokens are being created', async () => {
    for (const limit of [1, 7, 100, 1000]) {
      const before = [...ids]
      const writing = { on: true }
      const created: string[] = []
      const writer = (async () => {
        while (writing.on) created.push(await createToken(t.app, caller, { label: 'concurrent' }))
      })()

      const seen: string[] = []
      let marker: string | null = null
      let pages = 0
      try {
        do {
          const response = await list(`?limit=${limit}${marker === null ? '' : `&marker=${encodeURIComponent(marker)}`}`)
          expect(response.statusCode).toBe(200)
          const { values, metadata } = response.json()
          expect(metadata.count).toBe(values.length)
          expect(metadata.limit).toBe(limit)
          expect(metadata.marker).toBe(marker)
          if (marker !== null) expect(values[0].id).toBe(marker)
          seen.push(...values.map((token: { id: string }) => token.id))
          expect(metadata.next_href).toBe(metadata.next_marker === null ? null : nextHref(limit, metadata.next_marker))
          if (metadata.next_marker === null) expect(values.length).toBeLessThanOrEqual(limit)
          else expect(values.length).toBe(limit)
          marker = metadata.next_marker
          pages++
          // Stop the writer near the end of long walks so they finish.
          if (pages > (TOKENS + 40) / limit) writing.on = false
        } while (marker !== null)
      } finally {
        writing.on = false
        await writer
      }

      // Nothing repeated, in id order, every earlier token seen, and nothing but tokens that exist.
      expect(new Set(seen).size).toBe(seen.length)
      expect(seen).toEqual([...seen].sort())
      const seenSet = new Set(seen)
      expect(before.filter((id) => !seenSet.has(id))).toEqual([])
      const known = new Set([...before, ...created])
      expect(seen.filter((id) => !known.has(id))).toEqual([])
      expect(created.length).toBeGreaterThan(0)
      ids = [...ids, ...created].sort()
    }
  })

  it('starts an unknown marker at the first id at or after it', async () => {
    const ids100 = (await list('?limit=1000')).json().values.map((token: { id: string }) => token.id)
    const k = 42
    const cases: [string, string[]][] = [
      [`${ids100[k - 1]}~`, ids100.slice(k, k + 3)],
      [`${ids100[k]!.slice(0, 16)}`, ids100.slice(k, k + 3)],
      [`${ids100[k]!.slice(0, 64)}`, ids100.slice(k, k + 3)],
      ['0', ids100.slice(0, 3)],
      ['A', ids100.filter((id: string) => id >= 'A').slice(0, 3)],
      ['g', []],
      ['~', []]
    ]
    for (const [marker, expected] of cases) {
      const body = (await list(`?limit=3&marker=${encodeURIComponent(marker)}`)).json()
      expect(body.values.map((token: { id: string }) => token.id), marker).toEqual(expected)
      expect(body.metadata.marker).toBe(marker)
      expect(body.metadata.count).toBe(expected.length)
    }
    const last = (await list('?limit=3&marker=g')).json().metadata
    expect(last).toEqual({ count: 0, limit: 3, marker: 'g', next_marker: null, next_href: null })
  })

  it('continues after a deleted marker token', async () => {
    const deleted = await createToken(t.app, caller)
    const all = (await list('?limit=1000')).json().values.map((token: { id: string }) => token.id)
    const after = all[all.indexOf(deleted) + 1] ?? null
    expect((await call(t.app, caller, 'DELETE', `${collection(caller.tenantId)}/${deleted}`)).statusCode).toBe(204)
    const body = (await list(`?limit=1&marker=${deleted}`)).json()
    expect(body.values.map((token: { id: string }) => token.id)).toEqual(after === null ? [] : [after])
  })

  it('lists only the caller\'s tenant, and an empty tenant as an empty page', async () => {
    const session = await tenantSession(t.app, ['admin'])
    const other = { token: session.token, tenantId: session.account.id }
    expect((await list('', other)).json()).toEqual({ values: [], metadata: { count: 0, limit: 100, marker: null, next_marker: null, next_href: null } })
    const id = await createToken(t.app, other, { label: 'mine' })
    expect((await list('', other)).json().values).toEqual([{ id, token: id, label: 'mine', accessor: expect.stringMatching(/^agt_[0-9a-f]{32}$/) }])
  })

  it('accepts limits 1 and 1000, and an empty limit as the default', async () => {
    expect((await list('?limit=1')).json().metadata.count).toBe(1)
    expect((await list('?limit=1000')).json().metadata.limit).toBe(1000)
    expect((await list('?limit=')).json().metadata.limit).toBe(100)
  })

  it('answers 400 invalidLimit outside 1..1000 or for a non-integer limit', async () => {
    for (const limit of ['0', '1001', '-1', 'abc', '1.5', '1e2', '%205', '0x10', '99999999999999999999', '1&limit=2']) {
      const response = await list(`?limit=${limit}`)
      expectError(response, 400, 'invalidLimit', 'Invalid limit', 'limit must be an integer between 1 and 1000')
    }
  })

  it('answers 400 badRequest for a marker holding NUL', async () => {
    const response = await list('?marker=%00')
    expectError(response, 400, 'badRequest', "Validation error for key 'marker'", 'marker must not contain U+0000 or an unpaired UTF-16 surrogate')
  })
})
