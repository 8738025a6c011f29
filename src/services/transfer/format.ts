import { Ajv, type ErrorObject } from 'ajv'
import { Type, type Static, type TSchema } from 'typebox'
import { nestsDeeperThan } from '../../core/bounded-json.js'
import { IDENTIFIER_PATTERN, USER_ID_PATTERN } from '../../core/identifiers.js'
import { isRfc3339 } from '../../core/rfc3339.js'
import { findUnstorableText, UNSTORABLE_TEXT_PROBLEM } from '../../core/storable-text.js'

/**
 * The export format (docs/import-export.md): JSON lines, a header first, then one object
 * a line, each with its `type`, in an order where every line refers only to lines before it.
 * What a line may hold is declared here, once, for the export (which writes these shapes) and
 * the import (which checks every line against them before it reads anything else of it).
 */
export const FORMAT_NAME = 'tessera-export'
export const FORMAT_VERSION = 1
/** A longer line is refused unread: no line of this format comes near it. */
export const MAX_LINE_BYTES = 1024 * 1024

const Instant = Type.String({ format: 'date-time', maxLength: 64 })
const AccountId = Type.String({ pattern: IDENTIFIER_PATTERN })
const Name = Type.String({ minLength: 1, maxLength: 64 })
const Maker = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])
const FactoryId = Type.String({ pattern: '^[A-Za-z0-9._@/-]{1,128}$' })
const Privilege = Type.Union([Type.Literal('read'), Type.Literal('execute'), Type.Literal('update')])
const accessor = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9A-Za-z]{20,40}$` })

/**
 * A credential as a line carries it: `value`, the plaintext from the system being replaced; or
 * what Tessera's database keeps, `sha256` (the lookup hash, hex) and `sealed` (base64 of the
 * AES-256-GCM copy under the server key), as its export writes them.
 */
const Secret = {
  value: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  sealed: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{40,4096}={0,2}$' }))
}

const line = <K extends string, T extends Record<string, TSchema>>(type: K, properties: T) =>
  Type.Object({ type: Type.Literal(type), ...properties }, { additionalProperties: false })

export const HeaderSchema = Type.Object({
  type: Type.Literal(FORMAT_NAME),
  version: Type.Number(),
  exportedAt: Type.Optional(Instant),
  source: Type.Optional(Type.String({ maxLength: 256 }))
}, { additionalProperties: false })

const AccountLineSchema = line('account', {
  id: AccountId,
  name: Name,
  enabled: Type.Optional(Type.Boolean()),
  createdAt: Type.Optional(Instant)
})

const UserLineSchema = line('user', {
  id: Type.Optional(Type.String({ pattern: USER_ID_PATTERN })),
  account: AccountId,
  name: Name,
  email: Type.Optional(Type.Union([Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }), Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
  passwordHash: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()])),
  roles: Type.Optional(Type.Array(Type.Object({ account: AccountId, role: Type.String({ pattern: IDENTIFIER_PATTERN }) }, { additionalProperties: false }), { maxItems: 1000 })),
  createdAt: Type.Optional(Instant)
})

const ApiKeyLineSchema = line('api-key', {
  user: Name,
  accessor: Type.Optional(accessor('uak')),
  createdAt: Type.Optional(Instant),
  ...Secret
})

const HostFactoryLineSchema = line('host-factory', {
  account: AccountId,
  id: FactoryId,
  owner: Type.Optional(Type.Union([Type.Object({ user: Name }, { additionalProperties: false }), Type.Null()])),
  layers: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  permissions: Type.Optional(Type.Array(Type.Object({ user: Name, privilege: Privilege }, { additionalProperties: false }), { maxItems: 10_000 })),
  createdAt: Type.Optional(Instant)
})

const HostLineSchema = line('host', {
  account: AccountId,
  // migrations/0007: 1 to 255 characters, no control character.
  id: Type.String({ pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]{1,255}$' }),
  annotations: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }), { maxProperties: 256 })),
  layers: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  /** The host factory that enrolled the host. */
  hostFactory: Type.Optional(Type.Union([FactoryId, Type.Null()])),
  /** The host's relations to host factories, here since hosts come after them. */
  ownsHostFactories: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  hostFactoryPermissions: Type.Optional(Type.Array(Type.Object({ hostFactory: FactoryId, privilege: Privilege }, { additionalProperties: false }), { maxItems: 3000 })),
  apiKey: Type.Object({ accessor: Type.Optional(accessor('hak')), createdAt: Type.Optional(Instant), ...Secret }, { additionalProperties: false }),
  createdAt: Type.Optional(Instant)
})

const AgentTokenLineSchema = line('agent-token', {
  account: AccountId,
  accessor: Type.Optional(accessor('agt')),
  /** The first 16 hex digits of the token (not secret): what its sealed copy is bound to. */
  sortKey: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
  label: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
  createdBy: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  ...Secret
})

const AstraTokenLineSchema = line('astra-token', {
  account: AccountId,
  user: Name,
  id: Type.Optional(Type.String({ pattern: USER_ID_PATTERN })),
  name: Type.String({ pattern: '^[^\\u0000-\\u001f\\u007f<>]{1,63}$' }),
  labels: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 1024 }), value: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }), { maxItems: 256, uniqueItems: true })),
  createdBy: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  modifiedBy: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  modifiedAt: Type.Optional(Instant),
  value: Secret.value,
  sha256: Secret.sha256
})

const HostFactoryTokenLineSchema = line('host-factory-token', {
  account: AccountId,
  hostFactory: FactoryId,
  accessor: Type.Optional(accessor('hft')),
  cidr: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  expiration: Instant,
  createdBy: Type.Optional(Maker),
  /** The host of the account that made it, when a host did. */
  createdByHost: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  ...Secret
})

export type Header = Static<typeof HeaderSchema>
export type AccountLine = Static<typeof AccountLineSchema>
export type UserLine = Static<typeof UserLineSchema>
export type ApiKeyLine = Static<typeof ApiKeyLineSchema>
export type HostFactoryLine = Static<typeof HostFactoryLineSchema>
export type HostLine = Static<typeof HostLineSchema>
export type AgentTokenLine = Static<typeof AgentTokenLineSchema>
export type AstraTokenLine = Static<typeof AstraTokenLineSchema>
export type HostFactoryTokenLine = Static<typeof HostFactoryTokenLineSchema>

/** The types a line may have, in the order an export writes them. */
export const LINE_TYPES = ['account', 'user', 'host-factory', 'host', 'api-key', 'agent-token', 'astra-token', 'host-factory-token'] as const
export type LineType = typeof LINE_TYPES[number]

export interface LineOf {
  account: AccountLine
  user: UserLine
  'host-factory': HostFactoryLine
  host: HostLine
  'api-key': ApiKeyLine
  'agent-token': AgentTokenLine
  'astra-token': AstraTokenLine
  'host-factory-token': HostFactoryTokenLine
}
export type Line = LineOf[LineType]

const SCHEMAS: Record<LineType, TSchema> = {
  account: AccountLineSchema,
  user: UserLineSchema,
  'host-factory': HostFactoryLineSchema,
  host: HostLineSchema,
  'api-key': ApiKeyLineSchema,
  'agent-token': AgentTokenLineSchema,
  'astra-token': AstraTokenLineSchema,
  'host-factory-token': HostFactoryTokenLineSchema
}

const ajv = new Ajv({ allErrors: false, strict: false })
ajv.addFormat('date-time', { type: 'string', validate: isRfc3339 })
const validators = new Map(LINE_TYPES.map((type) => [type, ajv.compile(SCHEMAS[type])]))
const validateHeader = ajv.compile(HeaderSchema)

/** Why a line cannot be imported: said without quoting any of its values (a value may be a secret). */
export class LineProblem extends Error {
  /** The line's type, when it names a known one. */
  readonly type: LineType | undefined
  constructor (message: string, type?: LineType) {
    super(message)
    this.name = 'LineProblem'
    this.type = type
  }
}

function describe (error: ErrorObject | undefined): string {
  if (!error) return 'is invalid'
  const where = error.instancePath === '' ? 'the line' : error.instancePath.slice(1).replaceAll('/', '.')
  if (error.keyword === 'additionalProperties') return `${where} has an unknown field '${String(error.params.additionalProperty).slice(0, 64)}'`
  if (error.keyword === 'const') return `${where} must be ${JSON.stringify(error.params.allowedValue)}`
  return `${where} ${error.message ?? 'is invalid'}`
}

/** JSON text as a value, refusing over-deep nesting; a syntax error names its position, never the text. */
function parseJson (text: string): unknown {
  if (nestsDeeperThan(text)) throw new LineProblem('malformed JSON: nested too deep')
  try {
    return JSON.parse(text)
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new LineProblem(`malformed JSON${position === undefined ? '' : ` at character ${Number(position) + 1}`}`)
  }
}

/** The header a first line must be. */
export function parseHeader (text: string): Header {
  const value = parseJson(text)
  if (!validateHeader(value)) {
    throw new LineProblem(`not a Tessera export: the first line must be {"type":"${FORMAT_NAME}","version":${FORMAT_VERSION}} (${describe(validateHeader.errors?.[0])})`)
  }
  if (value.version !== FORMAT_VERSION) throw new LineProblem(`export format version ${value.version} is not supported (this Tessera reads version ${FORMAT_VERSION})`)
  return value
}

function isLineType (type: unknown): type is LineType {
  return typeof type === 'string' && (LINE_TYPES as readonly string[]).includes(type)
}

/** A line's text as one of the line types; throws LineProblem. */
export function parseLine (text: string): Line {
  const value = parseJson(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LineProblem('a line must be a JSON object')
  const type = (value as { type?: unknown }).type
  if (type === undefined) throw new LineProblem('the line has no type')
  if (!isLineType(type)) throw new LineProblem(`unknown type ${JSON.stringify(type).slice(0, 64)} (known: ${LINE_TYPES.join(', ')})`)
  const validate = validators.get(type)!
  if (!validate(value)) throw new LineProblem(describe(validate.errors?.[0]), type)
  const unstorable = findUnstorableText(value)
  if (unstorable !== null) throw new LineProblem(`${unstorable.join('.') || 'a key'} ${UNSTORABLE_TEXT_PROBLEM}`, type)
  return value as Line
}
