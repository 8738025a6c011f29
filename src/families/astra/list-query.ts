import { parseBoundedJson } from '../../core/bounded-json.js'
import { InvalidInput } from '../../core/errors.js'
import { parseRfc3339 } from '../../core/rfc3339.js'
import { findUnstorableText } from '../../core/storable-text.js'
import type { Comparison, TokenCondition, TokenListQuery } from './repository.js'
import { RESOURCE_TYPE, RESOURCE_VERSION } from './resource.js'

/**
 * The list query parameters of §B3, parsed into a typed query: a filter is a list of
 * conditions on known fields with known operators, and values only ever travel as SQL
 * parameters. Anything else is refused here, as problem 5 (a value breaking its pattern) or
 * problem 6 (a parameter the endpoint does not take).
 */

export const LIST_PARAMETERS = ['include', 'limit', 'skip', 'count', 'continue', 'filter', 'orderBy'] as const
export const ORDER_FIELDS = ['id', 'name', 'createdBy', 'creationTimestamp', 'modificationTimestamp'] as const
export type OrderField = typeof ORDER_FIELDS[number]
export const INCLUDE_FIELDS = ['type', 'version', 'id', 'name', 'userID', 'metadata'] as const
export type IncludeField = typeof INCLUDE_FIELDS[number]

/** The largest page; a larger `limit` is cut to it (the page says so through `continue`). */
export const MAX_LIMIT = 1000
/** Also the page size without `limit`. */
export const DEFAULT_LIMIT = MAX_LIMIT

const PATTERNS = {
  include: /^([0-9a-zA-Z]+)(,[0-9a-zA-Z]+)*$/,
  limit: /^([1-9][0-9]*)$/,
  skip: /^([1-9][0-9]*)$/,
  count: /^true$/,
  continue: /^([A-Za-z0-9+/]{4})*(([A-Za-z0-9+/]{2})==|([A-Za-z0-9+/]{3})=)?$/,
  orderBy: /^(([0-9a-zA-Z]+)(( |%20)desc)?)$/
}

/** type_astra_time: RFC 3339 in UTC, written with `T`, `Z` and at most nanoseconds. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

/** A type_astra_time as a Date, to the millisecond (finer fractions are cut); null when it is none. */
function timestampOf (value: string): Date | null {
  return TIMESTAMP.test(value) ? parseRfc3339(value) : null
}

function compare (actual: string, op: Comparison, value: string): boolean {
  switch (op) {
    case 'eq': return actual === value
    case 'lt': return actual < value
    case 'gt': return actual > value
    case 'lte': return actual <= value
    case 'gte': return actual >= value
  }
}

/** Turns one `field op 'value'` into a condition; the field decides how the value is read. */
type ConditionOf = (op: Comparison, value: string) => TokenCondition

/** A value every token shares (type, version): the condition is decided here, not in SQL. */
const constant = (actual: string): ConditionOf => (op, value) => ({ on: 'constant', holds: compare(actual, op, value) })
const column = (name: 'id' | 'name' | 'userID' | 'createdBy' | 'modifiedBy'): ConditionOf => (op, value) => ({ on: 'column', column: name, op, value })
const time = (name: 'creationTimestamp' | 'modificationTimestamp'): ConditionOf => (op, value) => {
  const date = timestampOf(value)
  if (date === null) throw invalidParam('filter', `'${value}' is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)`)
  return { on: 'column', column: name, op, value: date }
}
const label = (part: 'name' | 'value'): ConditionOf => (op, value) => ({ on: 'label', part, op, value })

/** Filterable fields: the resource's, with metadata's under `metadata.` (also accepted bare). */
const METADATA_FIELDS: Record<string, ConditionOf> = {
  createdBy: column('createdBy'),
  modifiedBy: column('modifiedBy'),
  creationTimestamp: time('creationTimestamp'),
  modificationTimestamp: time('modificationTimestamp')
}
const FILTER_FIELDS: Record<string, ConditionOf> = {
  type: constant(RESOURCE_TYPE),
  version: constant(RESOURCE_VERSION),
  id: column('id'),
  name: column('name'),
  userID: column('userID'),
  ...METADATA_FIELDS,
  ...Object.fromEntries(Object.entries(METADATA_FIELDS).map(([field, condition]) => [`metadata.${field}`, condition])),
  'metadata.labels[*].name': label('name'),
  'metadata.labels[*].value': label('value'),
  'metadata.labels.name': label('name'),
  'metadata.labels.value': label('value')
}

export function invalidParam (name: string, reason: string): InvalidInput {
  return new InvalidInput(`${name}: ${reason}`, { reason: 'invalidQuery', fields: [{ path: [name], problem: reason }] })
}

export function unsupportedParams (names: string[]): InvalidInput {
  return new InvalidInput(`unsupported query parameters: ${names.join(', ')}`, {
    reason: 'unsupportedQuery',
    fields: names.map((name) => ({ path: [name], problem: 'This query parameter is not supported by this endpoint.' }))
  })
}

/** The most values one `in` list may hold: each becomes a comparison in the query. */
export const MAX_IN_VALUES = 100

/**
 * `field in 'a,b,c'`: the field equals one of the comma-separated values (§B3's pattern admits
 * `in` and commas in a value; NetApp documents no more). Each value is read as `eq` reads it.
 */
function anyOf (make: ConditionOf, list: string): TokenCondition {
  const values = list.split(',')
  if (values.some((value) => value === '')) throw invalidParam('filter', "in takes values separated by single commas: field in 'a,b'")
  if (values.length > MAX_IN_VALUES) throw invalidParam('filter', `in takes at most ${MAX_IN_VALUES} values`)
  const conditions = values.map((value) => make('eq', value))
  // Type and version are known before SQL: so is whether any of their values matches.
  if (conditions.every((condition) => condition.on === 'constant')) return { on: 'constant', holds: conditions.some((condition) => condition.holds) }
  return { on: 'any', conditions }
}

/** One condition: `field op 'value'`, the separator a space or a literal `%20` (§B3 pattern). */
const CONDITION = /^([0-9a-zA-Z]+(?:\[\*\])?(?:\.[0-9a-zA-Z]+(?:\[\*\])?)*)(?: |%20)(eq|lt|gt|lte|gte|in)(?: |%20)'([^']*)'(,|$)/

/** A filter's conditions, all of which must hold. The grammar is §B3's. */
export function parseFilter (filter: string): TokenCondition[] {
  const conditions: TokenCondition[] = []
  let rest = filter
  do {
    const match = CONDITION.exec(rest)
    if (!match) throw invalidParam('filter', "must be field op 'value' (op: eq, lt, gt, lte, gte, in), conditions joined by commas")
    const [whole, field, op, value, separator] = match as unknown as [string, string, string, string, string]
    const make = Object.hasOwn(FILTER_FIELDS, field) ? FILTER_FIELDS[field] : undefined
    if (!make) throw invalidParam('filter', `field ${field} cannot be filtered on`)
    if (value === '') throw invalidParam('filter', 'the value must not be empty')
    conditions.push(op === 'in' ? anyOf(make, value) : make(op as Comparison, value))
    rest = rest.slice(whole.length)
    if (separator === ',' && rest === '') throw invalidParam('filter', 'a comma must be followed by another condition')
  } while (rest !== '')
  return conditions
}

export interface Order {
  field: OrderField
  descending: boolean
}

export function parseOrderBy (orderBy: string): Order {
  if (!PATTERNS.orderBy.test(orderBy)) throw invalidParam('orderBy', "must be a field name, optionally followed by ' desc'")
  const [field, direction] = orderBy.split(/ |%20/)
  if (!(ORDER_FIELDS as readonly string[]).includes(field!)) throw invalidParam('orderBy', `field ${field} cannot be ordered by; use one of ${ORDER_FIELDS.join(', ')}`)
  return { field: field as OrderField, descending: direction === 'desc' }
}

/** What a `continue` value carries: the list it belongs to and where the next page starts. */
interface Cursor {
  orderBy: string
  filter: string
  /** The order field's value (ISO text for timestamps) and the id of the last token shown. */
  value: string
  id: string
}

export function encodeCursor (cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, o: cursor.orderBy, f: cursor.filter, k: [cursor.value, cursor.id] }), 'utf8').toString('base64')
}

function decodeCursor (given: string): Cursor {
  const bad = () => invalidParam('continue', 'is not a continue value this endpoint issued')
  // A value pasted into a URL unencoded has its '+' read as a space; base64 never holds one.
  const text = given.replaceAll(' ', '+')
  if (!PATTERNS.continue.test(text)) throw bad()
  let decoded: unknown
  try {
    decoded = parseBoundedJson(Buffer.from(text, 'base64').toString('utf8'))
  } catch {
    throw bad()
  }
  const { v, o, f, k } = (decoded ?? {}) as Record<string, unknown>
  if (v !== 1 || typeof o !== 'string' || typeof f !== 'string' || !Array.isArray(k) || k.length !== 2 ||
    typeof k[0] !== 'string' || typeof k[1] !== 'string') throw bad()
  // A cursor this endpoint issued holds only text the database or the edge check let through.
  if (findUnstorableText([o, f, k[0], k[1]]) !== null) throw bad()
  return { orderBy: o, filter: f, value: k[0], id: k[1] }
}

export interface ListRequest {
  query: TokenListQuery
  limit: number
  include: IncludeField[] | undefined
  count: boolean
  /** The order and filter as given (or carried by `continue`), for the next cursor. */
  orderBy: string
  filter: string
  order: Order
  /** The parameters as given, which everything above is made from: the read cache's key of the page. */
  key: string
}

function positiveInteger (name: 'limit' | 'skip', value: string): number {
  if (!PATTERNS[name].test(value)) throw invalidParam(name, 'must be a positive integer')
  const number = Number(value)
  if (!Number.isSafeInteger(number)) throw invalidParam(name, 'is too large')
  return number
}

/** Parses a list request's query string; throws problem 5 or 6. */
export function parseListQuery (raw: Record<string, string | undefined>): ListRequest {
  const unsupported = Object.keys(raw).filter((name) => !(LIST_PARAMETERS as readonly string[]).includes(name))
  if (unsupported.length > 0) throw unsupportedParams(unsupported)

  let include: IncludeField[] | undefined
  if (raw.include !== undefined) {
    if (!PATTERNS.include.test(raw.include)) throw invalidParam('include', 'must be field names joined by commas')
    const fields = raw.include.split(',')
    const unknown = fields.find((field) => !(INCLUDE_FIELDS as readonly string[]).includes(field))
    if (unknown !== undefined) throw invalidParam('include', `field ${unknown} does not exist; use ${INCLUDE_FIELDS.join(', ')}`)
    include = fields as IncludeField[]
  }
  const limit = raw.limit === undefined ? DEFAULT_LIMIT : Math.min(positiveInteger('limit', raw.limit), MAX_LIMIT)
  const skip = raw.skip === undefined ? 0 : positiveInteger('skip', raw.skip)
  if (raw.count !== undefined && !PATTERNS.count.test(raw.count)) throw invalidParam('count', 'must be true')

  let orderBy = raw.orderBy
  let filter = raw.filter
  let after: TokenListQuery['after']
  if (raw.continue !== undefined) {
    const cursor = decodeCursor(raw.continue)
    // The cursor belongs to one order and filter: a different one would skip or repeat tokens.
    if ((orderBy !== undefined && orderBy !== cursor.orderBy) || (filter !== undefined && filter !== cursor.filter)) {
      throw invalidParam('continue', 'belongs to a list with another orderBy or filter')
    }
    orderBy = cursor.orderBy
    filter = cursor.filter
    after = { value: cursor.value, id: cursor.id }
  }
  const order = orderBy === undefined || orderBy === '' ? { field: 'id' as const, descending: false } : parseOrderBy(orderBy)
  const conditions = filter === undefined || filter === '' ? [] : parseFilter(filter)
  if (after !== undefined && (order.field === 'creationTimestamp' || order.field === 'modificationTimestamp')) {
    const date = timestampOf(String(after.value))
    if (date === null) throw invalidParam('continue', 'is not a continue value this endpoint issued')
    after = { value: date, id: after.id }
  }
  return {
    query: { conditions, order: { column: order.field, descending: order.descending }, after, skip, rows: limit + 1 },
    limit,
    include,
    count: raw.count === 'true',
    orderBy: orderBy ?? '',
    filter: filter ?? '',
    order,
    key: JSON.stringify(raw)
  }
}
