import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../helpers/eventually.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { expectValid } from './astra-schemas.js'
import { call, collectionPath, createToken, expectProblem, newCaller, TOKEN_MEDIA, type Caller } from './helpers.js'

let t: TestApp
beforeAll(async () => { t = await setupTestApp() })
afterAll(() => t?.close())

function list (caller: Caller, query: Record<string, string> = {}) {
  const search = new URLSearchParams(query).toString()
  return call(t.app, caller.token, 'GET', `${collectionPath(caller.accountId, caller.userId)}${search === '' ? '' : `?${search}`}`)
}

async function listBody (caller: Caller, query: Record<string, string> = {}) {
  const response = await list(caller, query)
  expect(response.statusCode, response.body).toBe(200)
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
  const body = response.json()
  expectValid('token_1.0_list_response_body', body)
  return body
}

/** A caller with tokens named `names`, labelled `{ name: 'n', value: <index> }`, created in order. */
async function withTokens (names: string[]): Promise<{ caller: Caller, tokens: any[] }> {
  const caller = await newCaller(t.app)
  const tokens = []
  for (const [index, name] of names.entries()) {
    const { token, ...resource } = await createToken(t.app, caller, name, { metadata: { labels: [{ name: 'n', value: String(index) }] } })
    expect(token).toBeDefined()
    tokens.push(resource)
  }
  return { caller, tokens }
}

const ids = (items: Array<{ id: string }>) => items.map((item) => item.id)
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)

describe('GET /accounts/{account_id}/core/v1/users/{user_id}/tokens (§B3)', () => {
  it('answers 200 with type, version, items (never a secret) and metadata, in id order by default', async () => {
    const { caller, tokens } = await withTokens(['b', 'a', 'c'])
    const body = await listBody(caller)
    expect(body).toEqual({ type: 'application/astra-tokens', version: '1.0', items: [...tokens].sort(byId), metadata: { labels: [] } })
    for (const item of body.items) expectValid('token_1.0_get_response_body', item)
    expect(await listBody(await newCaller(t.app))).toEqual({ type: 'application/astra-tokens', version: '1.0', items: [], metadata: { labels: [] } })
  })

  it('pages with limit and continue, and counts every matching token with count=true', async () => {
    const { caller, tokens } = await withTokens(['t1', 't2', 't3', 't4', 't5'])
    const sorted = [...tokens].sort(byId)
    const first = await listBody(caller, { limit: '2', count: 'true' })
    expect(first.items).toEqual(sorted.slice(0, 2))
    expect(first.metadata.count).toBe(5)
    expect(first.metadata.continue).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const second = await listBody(caller, { limit: '2', continue: first.metadata.continue })
    expect(second.items).toEqual(sorted.slice(2, 4))
    const third = await listBody(caller, { limit: '2', continue: second.metadata.continue })
    expect(third).toEqual({ type: 'application/astra-tokens', version: '1.0', items: sorted.slice(4), metadata: { labels: [] } })
    expect((await listBody(caller, { limit: '5' })).metadata).toEqual({ labels: [] })
  })

  it('never skips or repeats a token while others are created between pages', async () => {
    const { caller, tokens } = await withTokens(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'])
    for (const orderBy of ['id', 'name desc', 'creationTimestamp']) {
      const seen: string[] = []
      let next: string | undefined
      do {
        const page = await listBody(caller, { limit: '3', ...(next ? { continue: next } : { orderBy }) })
        seen.push(...ids(page.items))
        next = page.metadata.continue
        await createToken(t.app, caller, `late-${seen.length}`)
      } while (next !== undefined)
      expect(new Set(seen).size).toBe(seen.length)
      for (const token of tokens) expect(seen).toContain(token.id)
    }
  })

  it('orders by name, creationTimestamp or modificationTimestamp, ascending or with desc, ties by id', async () => {
    const { caller, tokens } = await withTokens(['m', 'a', 'z', 'a'])
    const byName = [...tokens].sort((a, b) => (a.name === b.name ? byId(a, b) : a.name < b.name ? -1 : 1))
    expect(ids((await listBody(caller, { orderBy: 'name' })).items)).toEqual(ids(byName))
    expect(ids((await listBody(caller, { orderBy: 'name desc' })).items)).toEqual(ids(byName).reverse())
    expect(ids((await listBody(caller, { orderBy: 'creationTimestamp' })).items)).toEqual(ids(tokens))
    expect(ids((await listBody(caller, { orderBy: 'creationTimestamp desc' })).items)).toEqual(ids(tokens).reverse())
    // The URL-encoded space of the spec's pattern (%20) reads the same.
    const encoded = await call(t.app, caller.token, 'GET', `${collectionPath(caller.accountId, caller.userId)}?orderBy=name%2520desc`)
    expect(ids(encoded.json().items)).toEqual(ids(byName).reverse())
    const renamed = tokens[0]
    // The rename is stamped with the database's clock cut to the millisecond: once that is past every
    // other token's change, the rename is the latest.
    await eventually(async () => {
      const { rows } = await sql<{ passed: boolean }>`select date_trunc('milliseconds', now()) > max(modified_at) as passed from user_tokens where user_id = ${caller.userId}`.execute(t.app.db)
      expect(rows).toEqual([{ passed: true }])
    })
    expect((await call(t.app, caller.token, 'PUT', `${collectionPath(caller.accountId, caller.userId)}/${renamed.id}`, { type: 'application/astra-token', version: '1.0' })).statusCode).toBe(204)
    expect(ids((await listBody(caller, { orderBy: 'modificationTimestamp desc' })).items)[0]).toBe(renamed.id)
  })

  it('filters with eq, lt, gt, lte and gte, comma-joined, on fields, metadata and labels', async () => {
    const { caller, tokens } = await withTokens(['alpha', 'beta', 'gamma', 'delta'])
    const names = async (filter: string, orderBy = 'name') => (await listBody(caller, { filter, orderBy })).items.map((item: any) => item.name)
    expect(await names("name eq 'beta'")).toEqual(['beta'])
    expect(await names("name lt 'c'")).toEqual(['alpha', 'beta'])
    expect(await names("name gt 'beta'")).toEqual(['delta', 'gamma'])
    expect(await names("name lte 'beta'")).toEqual(['alpha', 'beta'])
    expect(await names("name gte 'delta',name lt 'gamma'")).toEqual(['delta'])
    expect(await names("metadata.labels[*].value eq '2'")).toEqual(['gamma'])
    expect(await names("metadata.labels[*].name eq 'n',metadata.labels[*].value gte '2'")).toEqual(['delta', 'gamma'])
    expect(await names(`id eq '${tokens[1].id}'`)).toEqual(['beta'])
    expect(await names(`userID eq '${caller.userId}'`)).toHaveLength(4)
    expect(await names(`metadata.createdBy eq '${caller.userId}'`)).toHaveLength(4)
    expect(await names(`metadata.creationTimestamp gte '${tokens[2].metadata.creationTimestamp}'`, 'creationTimestamp')).toEqual(['gamma', 'delta'])
    expect(await names("type eq 'application/astra-token'")).toHaveLength(4)
    expect(await names("version eq '2.0'")).toEqual([])
    expect(await names("metadata.modifiedBy eq 'x'")).toEqual([])
    // A filter's values are data, whatever they look like.
    expect(await names("name eq 'x or 1=1; drop table user_tokens'")).toEqual([])
    const counted = await listBody(caller, { filter: "name gt 'b'", count: 'true', limit: '1' })
    expect(counted.metadata.count).toBe(3)
    const rest = await listBody(caller, { continue: counted.metadata.continue, limit: '5' })
    expect([...counted.items, ...rest.items].map((item: any) => item.name).sort()).toEqual(['beta', 'delta', 'gamma'])
  })

  it('filters with in: the field equals any value of the comma-separated list, as eq reads each; pages and counts alike', async () => {
    const { caller, tokens } = await withTokens(['alpha', 'beta', 'gamma', 'delta'])
    const names = async (filter: string, orderBy = 'name') => (await listBody(caller, { filter, orderBy })).items.map((item: any) => item.name)
    expect(await names("name in 'beta,delta,omega'")).toEqual(['beta', 'delta'])
    expect(await names("name in 'omega'")).toEqual([])
    // Byte-wise, as eq: no trimming, no case folding.
    expect(await names("name in 'Beta, delta'")).toEqual([])
    expect(await names(`id in '${tokens[0].id},${tokens[2].id}'`)).toEqual(['alpha', 'gamma'])
    expect(await names("metadata.labels[*].value in '0,3'")).toEqual(['alpha', 'delta'])
    expect(await names(`metadata.creationTimestamp in '${tokens[1].metadata.creationTimestamp},${tokens[3].metadata.creationTimestamp}'`, 'creationTimestamp')).toEqual(['beta', 'delta'])
    expect(await names("type in 'application/astra-tokens,application/astra-token'")).toHaveLength(4)
    expect(await names("version in '1.1,2.0'")).toEqual([])
    // With other conditions (all must hold), over %20 separators, and a value that looks like SQL.
    expect(await names("name in 'alpha,beta,gamma',metadata.labels[*].value gte '1'")).toEqual(['beta', 'gamma'])
    expect(await names("name%20in%20'gamma,delta'")).toEqual(['delta', 'gamma'])
    expect(await names("name in 'x or 1=1; drop table user_tokens,beta'")).toEqual(['beta'])
    const counted = await listBody(caller, { filter: "name in 'alpha,gamma,delta'", count: 'true', limit: '2' })
    expect(counted.metadata.count).toBe(3)
    const rest = await listBody(caller, { continue: counted.metadata.continue })
    expect([...counted.items, ...rest.items].map((item: any) => item.name).sort()).toEqual(['alpha', 'delta', 'gamma'])
  })

  it('answers a malformed in list with problem 5', async () => {
    const caller = await newCaller(t.app)
    const cases: Array<[string, string]> = [
      ["name in 'a,,b'", "in takes values separated by single commas: field in 'a,b'"],
      ["name in ',a'", "in takes values separated by single commas: field in 'a,b'"],
      ["name in 'a,'", "in takes values separated by single commas: field in 'a,b'"],
      [`name in '${Array.from({ length: 101 }, (_, index) => `n${index}`).join(',')}'`, 'in takes at most 100 values'],
      ["metadata.creationTimestamp in '2026-01-01T00:00:00Z,yesterday'", "'yesterday' is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)"],
      ["token in 'a,b'", 'field token cannot be filtered on'],
      ["name in ''", 'the value must not be empty']
    ]
    for (const [filter, reason] of cases) {
      expectProblem(await list(caller, { filter }), 5, { invalidParams: [{ name: 'filter', reason }] })
    }
    // A list of exactly 100 values is taken.
    expect((await listBody(caller, { filter: `name in '${Array.from({ length: 100 }, (_, index) => `n${index}`).join(',')}'` })).items).toEqual([])
  })

  it('returns arrays of the included fields, in the requested order', async () => {
    const { caller, tokens } = await withTokens(['one', 'two'])
    const sorted = [...tokens].sort(byId)
    const body = await listBody(caller, { include: 'name,id' })
    expect(body.items).toEqual(sorted.map((token) => [token.name, token.id]))
    const all = await listBody(caller, { include: 'type,version,id,name,userID,metadata', limit: '1' })
    expect(all.items).toEqual([[sorted[0].type, sorted[0].version, sorted[0].id, sorted[0].name, sorted[0].userID, sorted[0].metadata]])
  })

  it('passes over `skip` tokens', async () => {
    const { caller, tokens } = await withTokens(['s1', 's2', 's3'])
    const sorted = [...tokens].sort(byId)
    expect((await listBody(caller, { skip: '1' })).items).toEqual(sorted.slice(1))
    expect((await listBody(caller, { skip: '1', limit: '1' })).items).toEqual(sorted.slice(1, 2))
    expect((await listBody(caller, { skip: '5' })).items).toEqual([])
  })

  it('answers values breaking their pattern with problem 5, naming each parameter', async () => {
    const caller = await newCaller(t.app)
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ limit: '0' }, 'limit', 'must be a positive integer'],
      [{ limit: 'ten' }, 'limit', 'must be a positive integer'],
      [{ limit: '99999999999999999999' }, 'limit', 'is too large'],
      [{ skip: '0' }, 'skip', 'must be a positive integer'],
      [{ count: 'false' }, 'count', 'must be true'],
      [{ include: 'id,,name' }, 'include', 'must be field names joined by commas'],
      [{ include: 'token' }, 'include', 'field token does not exist; use type, version, id, name, userID, metadata'],
      [{ orderBy: 'name asc' }, 'orderBy', "must be a field name, optionally followed by ' desc'"],
      [{ orderBy: 'token' }, 'orderBy', 'field token cannot be ordered by; use one of id, name, createdBy, creationTimestamp, modificationTimestamp'],
      [{ filter: 'name eq beta' }, 'filter', "must be field op 'value' (op: eq, lt, gt, lte, gte, in), conditions joined by commas"],
      [{ filter: "name like 'b'" }, 'filter', "must be field op 'value' (op: eq, lt, gt, lte, gte, in), conditions joined by commas"],
      [{ filter: "token eq 'x'" }, 'filter', 'field token cannot be filtered on'],
      [{ filter: "name eq 'a'," }, 'filter', 'a comma must be followed by another condition'],
      [{ filter: "name eq ''" }, 'filter', 'the value must not be empty'],
      [{ filter: "metadata.creationTimestamp gt 'yesterday'" }, 'filter', "'yesterday' is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)"],
      [{ continue: 'not base64!' }, 'continue', 'is not a continue value this endpoint issued'],
      [{ continue: Buffer.from('{"v":2}').toString('base64') }, 'continue', 'is not a continue value this endpoint issued'],
      [{ continue: Buffer.from('[]').toString('base64') }, 'continue', 'is not a continue value this endpoint issued']
    ]
    for (const [query, name, reason] of cases) {
      expectProblem(await list(caller, query), 5, { invalidParams: [{ name, reason }] })
    }
    const repeated = await call(t.app, caller.token, 'GET', `${collectionPath(caller.accountId, caller.userId)}?limit=1&limit=2`)
    expectProblem(repeated, 5, { invalidParams: [{ name: 'limit', reason: 'must be string' }] })
  })

  it('refuses a continue value with another orderBy or filter (problem 5)', async () => {
    const { caller } = await withTokens(['c1', 'c2'])
    const page = await listBody(caller, { limit: '1', orderBy: 'name' })
    expect((await listBody(caller, { limit: '1', orderBy: 'name', continue: page.metadata.continue })).items).toHaveLength(1)
    expectProblem(await list(caller, { orderBy: 'id', continue: page.metadata.continue }), 5, {
      invalidParams: [{ name: 'continue', reason: 'belongs to a list with another orderBy or filter' }]
    })
    expectProblem(await list(caller, { filter: "name eq 'c1'", continue: page.metadata.continue }), 5, {
      invalidParams: [{ name: 'continue', reason: 'belongs to a list with another orderBy or filter' }]
    })
  })

  it('refuses a continue value whose JSON holds text the database cannot store, or nests too deep (problem 5)', async () => {
    const { caller } = await withTokens(['d1', 'd2'])
    const cursor = (json: string) => Buffer.from(json, 'utf8').toString('base64')
    // JSON escapes, as a client would write them: decoded, they are U+0000 or a lone surrogate.
    const cursors = [
      String.raw`{"v":1,"o":"","f":"","k":["x","a\u0000b"]}`,
      String.raw`{"v":1,"o":"","f":"","k":["a\u0000","x"]}`,
      String.raw`{"v":1,"o":"","f":"name eq 'a\u0000'","k":["x","y"]}`,
      String.raw`{"v":1,"o":"name\u0000","f":"","k":["x","y"]}`,
      String.raw`{"v":1,"o":"","f":"","k":["x","\udfff"]}`,
      String.raw`{"v":1,"o":"","f":"name eq '\ud800'","k":["x","y"]}`,
      `{"v":1,"o":"","f":"","k":["x","y"],"deep":${'['.repeat(1000)}${']'.repeat(1000)}}`
    ]
    for (const json of cursors) {
      expectProblem(await list(caller, { continue: cursor(json) }), 5, { invalidParams: [{ name: 'continue', reason: 'is not a continue value this endpoint issued' }] })
    }
    // The same cursor with storable text is taken.
    expect((await listBody(caller, { continue: cursor('{"v":1,"o":"","f":"","k":["x","y"]}') })).items).toEqual([])
  })

  it('reads filter timestamps as RFC 3339 in UTC: a leap second is the next instant; Feb 30 and the year 0 are none (problem 5)', async () => {
    const { caller, tokens } = await withTokens(['t1'])
    const after = (timestamp: string) => list(caller, { filter: `metadata.creationTimestamp gt '${timestamp}'` })
    for (const timestamp of ['2016-12-31T23:59:60Z', '0001-01-01T00:00:00Z', '2024-02-29T00:00:00.123456789Z']) {
      const response = await after(timestamp)
      expect(response.statusCode, timestamp).toBe(200)
      expect(ids(response.json().items), timestamp).toEqual(ids(tokens))
    }
    expect((await listBody(caller, { filter: "metadata.creationTimestamp gt '9999-12-31T23:59:59Z'" })).items).toEqual([])
    for (const timestamp of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-01-01T24:00:00Z', '2016-12-31T23:58:60Z', '2024-01-01t00:00:00z', '0000-01-01T00:00:00Z']) {
      expectProblem(await after(timestamp), 5, { invalidParams: [{ name: 'filter', reason: `'${timestamp}' is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)` }] })
    }
  })

  it('answers parameters the endpoint does not take with problem 6, naming each', async () => {
    const caller = await newCaller(t.app)
    expectProblem(await list(caller, { marker: 'x', limit: '1', sort: 'name' }), 6, {
      invalidParams: [
        { name: 'marker', reason: 'This query parameter is not supported by this endpoint.' },
        { name: 'sort', reason: 'This query parameter is not supported by this endpoint.' }
      ]
    })
  })

  it('echoes the token media type when Accept asks for it, and carries an ETag: the hex MD5 of the JSON (§B1)', async () => {
    const { caller } = await withTokens(['a'])
    const path = collectionPath(caller.accountId, caller.userId)
    const plain = await call(t.app, caller.token, 'GET', path)
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(plain.headers.etag).toBe(`"${createHash('md5').update(plain.body).digest('hex')}"`)
    for (const accept of [TOKEN_MEDIA, `${TOKEN_MEDIA}, application/json;q=0.5`]) {
      const typed = await call(t.app, caller.token, 'GET', path, undefined, { accept })
      expect(typed.statusCode, typed.body).toBe(200)
      expect(typed.headers['content-type']).toBe(`${TOKEN_MEDIA}; charset=utf-8`)
      expect(typed.body).toBe(plain.body)
    }
  })

  it('takes back a continue value pasted into the URL unencoded, its + read as a space', async () => {
    const { caller } = await withTokens(['a', 'b'])
    const path = collectionPath(caller.accountId, caller.userId)
    let next: string | undefined
    let first: string | undefined
    for (let i = 1; i < 10 && next === undefined; i++) {
      // The filter travels in the cursor: vary it until the cursor's base64 holds a '+'.
      const page = await listBody(caller, { limit: '1', filter: `name lte '${'~'.repeat(i)}'` })
      if (page.metadata.continue.includes('+')) {
        next = page.metadata.continue
        first = page.items[0].name
      }
    }
    expect(next).toBeDefined()
    const response = await call(t.app, caller.token, 'GET', `${path}?limit=1&continue=${next!}`)
    expect(response.statusCode, response.body).toBe(200)
    // The page after the first: the other token (two created in one millisecond order by id).
    expect(response.json().items.map((item: any) => item.name)).toEqual([first === 'a' ? 'b' : 'a'])
  })
})
