import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false }

function ajvWith (options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options })
  addFormats.default(ajv)
  return ajv
}

// Bodies are JSON and keep their types: a label of 123 is an error, not the string "123".
const bodyAjv = ajvWith({ coerceTypes: false })
// Query strings, path parameters and headers are text: coerce them to the schema's types.
const textAjv = ajvWith({ coerceTypes: 'array' })

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema)
