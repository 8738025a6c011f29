import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { isRfc3339 } from '../../core/rfc3339.js'

const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false }

function ajvWith (options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options })
  addFormats.default(ajv)
  // What a `date-time` passes, the route's parser reads (ajv-formats lets through leap seconds and
  // offsets without a colon, which `new Date()` reads as Invalid Date or not at all).
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339 })
  return ajv
}

// Bodies are JSON and keep their types: a label of 123 is an error, not the string "123".
const bodyAjv = ajvWith({ coerceTypes: false })
// Query strings, path parameters and headers are text: coerce them to the schema's types.
const textAjv = ajvWith({ coerceTypes: 'array' })

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema)
