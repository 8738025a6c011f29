import { InvalidInput } from '../core/errors.js'
import { EMAIL_MAX_LENGTH as EMAIL_MAX, IDENTIFIER_PATTERN, NAME_MAX_LENGTH as NAME_MAX } from '../core/identifiers.js'

/** Checked here, before any write, so the operator gets a clear message. */
const IDENTIFIER = new RegExp(IDENTIFIER_PATTERN)
const EMAIL = /^[^\s@]+@[^\s@]+$/

function invalid (field: string, problem: string): InvalidInput {
  return new InvalidInput(`${field} ${problem}`, { fields: [{ path: [field.replaceAll(' ', '_')], problem }] })
}

export function checkIdentifier (field: 'account id' | 'role', value: string): string {
  if (!IDENTIFIER.test(value)) throw invalid(field, `must be 1 to 64 letters, digits, '.', '_', ':' or '-' (got ${JSON.stringify(value)})`)
  return value
}

export function checkName (field: 'account name' | 'user name', value: string): string {
  const length = Array.from(value).length
  if (length < 1 || length > NAME_MAX) throw invalid(field, `must be 1 to ${NAME_MAX} characters (got ${JSON.stringify(value)})`)
  return value
}

export function checkEmail (value: string): string {
  if (value.length > EMAIL_MAX || !EMAIL.test(value)) throw invalid('email', `must be an address like name@example.com of at most ${EMAIL_MAX} characters (got ${JSON.stringify(value)})`)
  return value
}
