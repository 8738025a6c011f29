import fc from 'fast-check'
import { anyJson, hostileString } from './hostile.js'

type Schema = Record<string, any>

/** Strings that satisfy common formats and patterns often enough to reach the handlers. */
const plausibleString = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/) },
  { weight: 1, arbitrary: fc.constantFrom('admin', 'member', 'owner', 'reader', '2050-12-31T23:59:59Z', 'application/astra-token', '1.0', 'db', '127.0.0.1/32') },
  { weight: 2, arbitrary: hostileString }
)

/**
 * Values shaped like `schema` (objects with its properties, strings, numbers, arrays), mostly
 * valid, sometimes not: enough to get past validation into the handlers, and to probe it.
 */
export function schemaValue (schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4 || '$ref' in schema) return anyJson
  if ('const' in schema) return fc.oneof({ weight: 9, arbitrary: fc.constant(schema.const) }, { weight: 1, arbitrary: anyJson })
  if (Array.isArray(schema.enum)) return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: anyJson })
  const choices = schema.anyOf ?? schema.oneOf
  if (Array.isArray(choices)) return fc.oneof(...choices.map((choice: Schema) => schemaValue(choice, depth + 1)))
  if (Array.isArray(schema.allOf)) return schemaValue(Object.assign({}, ...schema.allOf), depth + 1)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  const wrong = (arbitrary: fc.Arbitrary<unknown>) => fc.oneof({ weight: 12, arbitrary }, { weight: 1, arbitrary: anyJson })
  switch (type) {
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {}
      const required: string[] = schema.required ?? []
      const shape = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, schemaValue(property, depth + 1)]))
      return wrong(fc.record(shape, { requiredKeys: required.filter((name) => name in shape) }))
    }
    case 'array': return wrong(fc.array(schemaValue(schema.items, depth + 1), { maxLength: 4 }))
    case 'string': return wrong(plausibleString)
    case 'integer': return wrong(fc.oneof(fc.integer({ min: -2, max: 1200 }), fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 1e9)))
    case 'number': return wrong(fc.double({ noNaN: true }))
    case 'boolean': return wrong(fc.boolean())
    case 'null': return wrong(fc.constant(null))
  }
  return anyJson
}
