import { randomBytes, randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../../src/db/database.js'
import { insertUser } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'
import { call, collectionPath, newCaller, type Caller } from './helpers.js'

/**
 * Property: for random token sets and random filter / orderBy / limit / skip combinations,
 * walking the list with `continue` yields exactly what an in-memory model of the same query
 * yields — and, with tokens created between pages, never skips or repeats one.
 */

let t: TestApp
let admin: Caller
beforeAll(async () => {
  t = await setupTestApp()
  admin = await newCaller(t.app, ['admin'])
})
afterAll(() => t?.close())

interface Token {
  id: string
  name: string
  labels: Array<{ name: string, value: string }>
  createdAt: number
  modifiedAt: number
  createdBy: string
  modifiedBy: string | null
}

const BASE = Date.parse('2026-01-01T00:00:00.000Z')
const PEOPLE = [randomUUID(), randomUUID(), randomUUID()]
const TEXT = fc.string({ unit: fc.constantFrom('a', 'b', 'B', 'z', '1', ' ', '-', '.', '_'), minLength: 1, maxLength: 4 })
const LABEL_NAMES = fc.constantFrom('env', 'team', 'tier')
const LABEL_VALUES = fc.constantFrom('a', 'b', 'prod', 'dev')
// Few distinct instants, so timestamps tie and ties are broken by id.
const INSTANT = fc.integer({ min: 0, max: 6 }).map((step) => BASE + step * 250)

const tokenArbitrary: fc.Arbitrary<Omit<Token, 'id'>> = fc.record({
  name: TEXT,
  labels: fc.uniqueArray(fc.record({ name: LABEL_NAMES, value: LABEL_VALUES }), { maxLength: 3, selector: (label) => `${label.name}=${label.value}` }),
  createdAt: INSTANT,
  modifiedAt: INSTANT,
  createdBy: fc.constantFrom(...PEOPLE),
  modifiedBy: fc.option(fc.constantFrom(...PEOPLE), { nil: null })
})

type Op = 'eq' | 'lt' | 'gt' | 'lte' | 'gte'
const OPS: Op[] = ['eq', 'lt', 'gt', 'lte', 'gte']
type FieldName = 'id' | 'name' | 'userID' | 'type' | 'version' | 'metadata.createdBy' | 'metadata.modifiedBy' |
  'metadata.creationTimestamp' | 'metadata.modificationTimestamp' | 'metadata.labels[*].name' | 'metadata.labels[*].value'

interface Condition {
  field: FieldName
  op: Op
  value: string
}

const iso = (ms: number) => new Date(ms).toISOString()

/** A condition with a value of the field's kind: often one present in the set, so matches happen. */
function conditionArbitrary (tokens: Token[], userId: string): fc.Arbitrary<Condition> {
  const pick = <T>(values: T[], fallback: fc.Arbitrary<T>) => (values.length > 0 ? fc.oneof(fc.constantFrom(...values), fallback) : fallback)
  const valuesOf: Record<FieldName, fc.Arbitrary<string>> = {
    id: pick(tokens.map((token) => token.id), fc.uuid({ version: 4 })),
    name: pick(tokens.map((token) => token.name), TEXT),
    userID: fc.constantFrom(userId, PEOPLE[0]!),
    type: fc.constantFrom('application/astra-token', 'application/astra-user'),
    version: fc.constantFrom('1.0', '2.0'),
    'metadata.createdBy': fc.constantFrom(...PEOPLE),
    'metadata.modifiedBy': fc.constantFrom(...PEOPLE),
    'metadata.creationTimestamp': INSTANT.map(iso),
    'metadata.modificationTimestamp': INSTANT.map(iso),
    'metadata.labels[*].name': LABEL_NAMES,
    'metadata.labels[*].value': LABEL_VALUES
  }
  return fc.constantFrom(...(Object.keys(valuesOf) as FieldName[])).chain((field) =>
    fc.record({ field: fc.constant(field), op: fc.constantFrom(...OPS), value: valuesOf[field] }))
}

function compare (actual: string | number, op: Op, value: string | number): boolean {
  switch (op) {
    case 'eq': return actual === value
    case 'lt': return actual < value
    case 'gt': return actual > value
    case 'lte': return actual <= value
    case 'gte': return actual >= value
  }
}

/** The model of one condition. */
function holds (token: Token, userId: string, { field, op, value }: Condition): boolean {
  switch (field) {
    case 'id': return compare(token.id, op, value)
    case 'name': return compare(token.name, op, value)
    case 'userID': return compare(userId, op, value)
    case 'type': return compare('application/astra-token', op, value)
    case 'version': return compare('1.0', op, value)
    case 'metadata.createdBy': return compare(token.createdBy, op, value)
    case 'metadata.modifiedBy': return token.modifiedBy !== null && compare(token.modifiedBy, op, value)
    case 'metadata.creationTimestamp': return compare(token.createdAt, op, Date.parse(value))
    case 'metadata.modificationTimestamp': return compare(token.modifiedAt, op, Date.parse(value))
    case 'metadata.labels[*].name': return token.labels.some((label) => compare(label.name, op, value))
    case 'metadata.labels[*].value': return token.labels.some((label) => compare(label.value, op, value))
  }
}

type OrderField = 'id' | 'name' | 'createdBy' | 'creationTimestamp' | 'modificationTimestamp'
const ORDER_FIELDS: OrderField[] = ['id', 'name', 'createdBy', 'creationTimestamp', 'modificationTimestamp']

function sortKey (token: Token, field: OrderField): string | number {
  switch (field) {
    case 'id': return token.id
    case 'name': return token.name
    case 'createdBy': return token.createdBy
    case 'creationTimestamp': return token.createdAt
    case 'modificationTimestamp': return token.modifiedAt
  }
}

/** The model of the whole query: matching tokens, by the field then id, both in the requested direction. */
function model (tokens: Token[], userId: string, conditions: Condition[], field: OrderField, descending: boolean): string[] {
  const sign = descending ? -1 : 1
  return tokens
    .filter((token) => conditions.every((condition) => holds(token, userId, condition)))
    .sort((a, b) => {
      const [x, y] = [sortKey(a, field), sortKey(b, field)]
      if (x !== y) return x < y ? -sign : sign
      return a.id < b.id ? -sign : sign
    })
    .map((token) => token.id)
}

async function insertTokens (db: Database, accountId: string, userId: string, tokens: Token[]): Promise<void> {
  if (tokens.length === 0) return
  await db.insertInto('user_tokens').values(tokens.map((token) => ({
    account_id: accountId,
    user_id: userId,
    id: token.id,
    name: token.name,
    secret_hash: randomBytes(32),
    labels: JSON.stringify(token.labels),
    created_at: new Date(token.createdAt),
    modified_at: new Date(token.modifiedAt),
    created_by: token.createdBy,
    modified_by: token.modifiedBy
  }))).execute()
}

const scenario = fc.record({
  tokens: fc.array(tokenArbitrary, { maxLength: 14 }),
  late: fc.array(tokenArbitrary, { maxLength: 4 })
}).chain(({ tokens, late }) => {
  // Ids are drawn here so conditions can name them; the rows take them as they are.
  const withIds: Token[] = tokens.map((token) => ({ ...token, id: randomUUID() }))
  const userId: string = randomUUID()
  return fc.record({
    userId: fc.constant(userId),
    tokens: fc.constant(withIds),
    late: fc.constant(late),
    conditions: fc.array(conditionArbitrary(withIds, userId), { maxLength: 3 }),
    orderBy: fc.constantFrom(...ORDER_FIELDS),
    descending: fc.boolean(),
    limit: fc.integer({ min: 1, max: 6 }),
    skip: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    count: fc.boolean()
  })
})

describe('GET …/tokens against an in-memory model (fast-check)', () => {
  it('pages with continue through exactly the model\'s tokens, in its order, whatever is created meanwhile', async () => {
    await fc.assert(fc.asyncProperty(scenario, async (run) => {
      const user = await insertUser(t.app.db, { accountId: admin.accountId, roles: ['member'] })
      const userId = user.user.id
      const originals = run.tokens
      await insertTokens(t.app.db, admin.accountId, userId, originals)
      // Conditions drawn against the scenario's user id name this run's user instead.
      const conditions = run.conditions.map((condition) => (condition.field === 'userID' && condition.value === run.userId ? { ...condition, value: userId } : condition))
      const expected = model(originals, userId, conditions, run.orderBy, run.descending)

      const filter = conditions.map((condition) => `${condition.field} ${condition.op} '${condition.value}'`).join(',')
      const query: Record<string, string> = { limit: String(run.limit), orderBy: `${run.orderBy}${run.descending ? ' desc' : ''}` }
      if (filter !== '') query.filter = filter
      if (run.skip !== undefined) query.skip = String(run.skip)
      if (run.count) query.count = 'true'

      const seen: string[] = []
      const pages: string[][] = []
      const late = [...run.late]
      let next: string | undefined
      let first = true
      do {
        const params = new URLSearchParams(first ? query : { continue: next!, limit: String(run.limit) })
        const response = await call(t.app, admin.token, 'GET', `${collectionPath(admin.accountId, userId)}?${params}`)
        expect(response.statusCode, response.body).toBe(200)
        const body = response.json()
        if (first && run.count) expect(body.metadata.count).toBe(expected.length)
        const ids = body.items.map((item: { id: string }) => item.id)
        expect(ids.length).toBeLessThanOrEqual(run.limit)
        if (body.metadata.continue !== undefined) expect(ids).toHaveLength(run.limit)
        pages.push(ids)
        seen.push(...ids)
        next = body.metadata.continue
        first = false
        // Another client creates a token between two pages.
        const created = late.shift()
        if (created) await insertTokens(t.app.db, admin.accountId, userId, [{ ...created, id: randomUUID() }])
      } while (next !== undefined)

      expect(new Set(seen).size).toBe(seen.length)
      const originalIds = new Set(originals.map((token) => token.id))
      const expectedPages = run.skip === undefined ? expected : expected.slice(run.skip)
      expect(seen.filter((id) => originalIds.has(id))).toEqual(expectedPages)
      if (run.late.length === 0) expect(pages.flat()).toEqual(expectedPages)
    }), { numRuns: 60 })
  })
})
