import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { expect } from 'vitest'

/**
 * Astra's published token schemas (spec §B0): the extract of NetAppDocs/astra-automation
 * reference/astra.json at 16dbab1, already cleaned for validation as §B0 says (non-JSON-Schema
 * `type` values dropped, `$ref` siblings removed), compiled from the file as it is.
 */
const DOCUMENT = JSON.parse(readFileSync(new URL('./astra-tokens.openapi.json', import.meta.url), 'utf8'))
const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)
ajv.addSchema(DOCUMENT, 'astra')

const validators = new Map<string, ValidateFunction>()

export function astraSchema (name: string): ValidateFunction {
  let validate = validators.get(name)
  if (!validate) {
    validate = ajv.getSchema(`astra#/components/schemas/${name}`)
    if (!validate) throw new Error(`no schema ${name} in Astra's document`)
    validators.set(name, validate)
  }
  return validate
}

/** Fails with Ajv's errors unless `body` validates against Astra's schema `name`. */
export function expectValid (name: string, body: unknown): void {
  const validate = astraSchema(name)
  const valid = validate(body)
  expect(valid ? [] : validate.errors, `${name}: ${JSON.stringify(body)}`).toEqual([])
}
