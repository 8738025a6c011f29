import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { Type, type Static, type TSchema } from 'typebox'
import { nestsDeeperThan } from '../../core/bounded-json.js'
import { IDENTIFIER_PATTERN } from '../../core/identifiers.js'
import { isRfc3339 } from '../../core/rfc3339.js'
import { findUnstorableText, UNSTORABLE_TEXT_PROBLEM } from '../../core/storable-text.js'

/**
 * The export format (docs/import-export.md): JSON lines, a header first, then one object
 * a line, each with its `type`, in an order where every line refers only to lines before it.
 * What a line may hold is declared here, once, for the export (which writes these shapes) and
 * the import (which checks every line against them before it reads anything else of it): the
 * header and the atoms here, each type of line by the section that writes and reads it (section.ts).
 */
export const FORMAT_NAME = 'tessera-export'
export const FORMAT_VERSION = 1
/** A longer line is refused unread: no line of this format comes near it. */
export const MAX_LINE_BYTES = 1024 * 1024

export const Instant = Type.String({ format: 'date-time', maxLength: 64 })
export const AccountId = Type.String({ pattern: IDENTIFIER_PATTERN })
export const Name = Type.String({ minLength: 1, maxLength: 64 })
export const Maker = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])
export const accessor = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9A-Za-z]{20,40}$` })

/**
 * A credential as a line carries it: `value`, the plaintext from the system being replaced; or
 * what Tessera's database keeps, `sha256` (the lookup hash, hex) and `sealed` (base64 of the
 * AES-256-GCM copy under the server key), as its export writes them.
 */
export const Secret = {
  value: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  sealed: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{40,4096}={0,2}$' }))
}

/** The schema of a line of type `type`: exactly these fields. */
export const line = <K extends string, T extends Record<string, TSchema>>(type: K, properties: T) =>
  Type.Object({ type: Type.Literal(type), ...properties }, { additionalProperties: false })

export const HeaderSchema = Type.Object({
  type: Type.Literal(FORMAT_NAME),
  version: Type.Number(),
  exportedAt: Type.Optional(Instant),
  source: Type.Optional(Type.String({ maxLength: 256 }))
}, { additionalProperties: false })

export type Header = Static<typeof HeaderSchema>
/** A line of any type: the sections (section.ts) say which types there are and what each holds. */
export interface Line { type: string }

/** What a line of one type must hold, as `line` declares it. */
export interface LineSchema { schema: TSchema }

const ajv = new Ajv({ allErrors: false, strict: false })
ajv.addFormat('date-time', { type: 'string', validate: isRfc3339 })
const validateHeader = ajv.compile(HeaderSchema)
const validators = new WeakMap<TSchema, ValidateFunction>()

/** The validator of a line schema, compiled once. */
function validatorOf (schema: TSchema): ValidateFunction {
  let validate = validators.get(schema)
  if (!validate) validators.set(schema, validate = ajv.compile(schema))
  return validate
}

/** Why a line cannot be imported: said without quoting any of its values (a value may be a secret). */
export class LineProblem extends Error {
  /** The line's type, when it names a known one. */
  readonly type: string | undefined
  constructor (message: string, type?: string) {
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

/** A line's text as a line of one of the types of `sections`; throws LineProblem. */
export function parseLine (text: string, sections: ReadonlyMap<string, LineSchema>): Line {
  const value = parseJson(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LineProblem('a line must be a JSON object')
  const type = (value as { type?: unknown }).type
  if (type === undefined) throw new LineProblem('the line has no type')
  const section = typeof type === 'string' ? sections.get(type) : undefined
  if (!section) throw new LineProblem(`unknown type ${JSON.stringify(type).slice(0, 64)} (known: ${[...sections.keys()].join(', ')})`)
  const validate = validatorOf(section.schema)
  if (!validate(value)) throw new LineProblem(describe(validate.errors?.[0]), type as string)
  const unstorable = findUnstorableText(value)
  if (unstorable !== null) throw new LineProblem(`${unstorable.join('.') || 'a key'} ${UNSTORABLE_TEXT_PROBLEM}`, type as string)
  return value as Line
}
