import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'

/**
 * The published and written-from-spec schemas every response of the four APIs is checked
 * against, in one Ajv instance: documents are added under their names and referenced by
 * `<name>#<JSON pointer>`.
 */

const read = (url: URL) => readFileSync(url, 'utf8')
const schemasDirectory = new URL('./schemas/', import.meta.url)

/**
 * Where the published Conjur extract and Conjur v1.24.0 disagree and the behavioural spec wins
 * (the extract's own description says so): each entry patches the document before compiling.
 */
export const CONJUR_DEVIATIONS: Array<{ pointer: string[], value: unknown, why: string }> = [
  {
    pointer: ['components', 'schemas', 'CreateHost', 'properties', 'annotations'],
    value: { $ref: 'conjur-behaviour#/definitions/annotations' },
    why: 'conjur-astra.md §A3: annotations are {name, value} objects, not strings'
  },
  {
    pointer: ['components', 'schemas', 'ApiKey'],
    value: { type: 'string', pattern: '^[0-9a-hjkmnp-tv-z]{1,56}$' },
    why: 'conjur-astra.md §A5: API keys are Crockford base32 of variable length (at most 56), not at least 55 characters'
  }
]

function conjurDocument (): any {
  const document = parse(read(new URL('conjur-host-factory.openapi.yml', schemasDirectory)))
  for (const { pointer, value } of CONJUR_DEVIATIONS) {
    const parent = pointer.slice(0, -1).reduce((node, key) => node[key], document)
    parent[pointer.at(-1)!] = value
  }
  return document
}

/** The published Conjur document, deviations applied: its operations are read from it too. */
export const CONJUR_DOCUMENT = conjurDocument()

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)
ajv.addSchema(JSON.parse(read(new URL('../families/astra/astra-tokens.openapi.json', import.meta.url))), 'astra')
ajv.addSchema(CONJUR_DOCUMENT, 'conjur')
for (const name of ['astra-problem', 'conjur-behaviour', 'keystone-v2', 'monitoring-v1']) {
  ajv.addSchema(JSON.parse(read(new URL(`${name}.schema.json`, schemasDirectory))))
}

const validators = new Map<string, ValidateFunction>()

/** A validator for `<document>#<pointer>`, compiled once. */
export function validatorFor (ref: string): ValidateFunction {
  let validate = validators.get(ref)
  if (!validate) {
    validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref })
    validators.set(ref, validate)
  }
  return validate
}

/** Ajv's errors as `<instancePath> <message>` lines: the field path first, as a failure shows it. */
export function schemaErrors (ref: string, body: unknown): string[] {
  const validate = validatorFor(ref)
  if (validate(body)) return []
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`)
}
