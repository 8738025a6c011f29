import { parseRfc3339 } from '../../core/rfc3339.js'
import { constantTimeEqual, randomHex, sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { LineProblem } from './format.js'

/**
 * One importer a line type (its section's, section.ts): `prepare` checks what needs no database
 * and makes what will be stored (lookup hashes, sealed copies), throwing LineProblem; `write`
 * checks each item against the database (what exists is skipped, what conflicts fails) before it
 * writes anything of it, then writes the rest, in the caller's transaction. An unexpected error
 * from `write` makes the caller retry the items one at a time, so a failing item leaves nothing
 * behind. Below it, what the core's importers and the families' share.
 */
export type Outcome =
  | { status: 'imported', accountId: string }
  | { status: 'skipped' }
  | { status: 'failed', reason: string }

export interface ImportTools {
  box: SecretBox
  /** The creation time of what a line gives none. */
  now: Date
  /**
   * The administrators' account (TESSERA_ADMIN_ACCOUNT), and whether a file may add users to it
   * or give roles on it (--allow-admin-account): its admins administer every account.
   */
  adminAccount: { id: string, allowed: boolean }
  /**
   * Names whose user line failed in this run: a credential line naming one would otherwise land
   * on the other user of that name, whom the file does not describe.
   */
  failedUsers: Set<string>
}

export interface Importer<L, Item> {
  /** Lines written in one transaction (with one-at-a-time retry when it fails). */
  batchSize: number
  prepare (line: L, tools: ImportTools): Item
  write (trx: Database, items: readonly Item[], tools: ImportTools): Promise<Outcome[]>
}

export const SKIPPED: Outcome = { status: 'skipped' }
export const failed = (reason: string): Outcome => ({ status: 'failed', reason })
export const imported = (accountId: string): Outcome => ({ status: 'imported', accountId })

/** Lines are checked one after another in a batch: each sees what the ones before it wrote. */
export async function eachInTurn<Item> (items: readonly Item[], write: (item: Item) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const item of items) outcomes.push(await write(item))
  return outcomes
}

export function instant (text: string | undefined, fallback: Date): Date {
  return text === undefined ? fallback : parseRfc3339(text)!
}

export function newAccessor (prefix: string): string {
  return `${prefix}_${randomHex(16)}`
}

/** A credential as a line gives it: its plaintext, or its lookup hash with (for most kinds) its sealed copy. */
export type SecretInput = { value: string } | { sha256: Buffer, sealed: Buffer | undefined }

export function secretOf (line: { value?: string | undefined, sha256?: string | undefined, sealed?: string | undefined }, needsSealed: boolean): SecretInput {
  if (line.value !== undefined) {
    if (line.sha256 !== undefined || line.sealed !== undefined) throw new LineProblem('give either value, or sha256 and sealed, not both')
    return { value: line.value }
  }
  if (line.sha256 === undefined) throw new LineProblem(needsSealed ? 'value, or sha256 and sealed, is required' : 'value or sha256 is required')
  if (needsSealed && line.sealed === undefined) throw new LineProblem('sealed is required with sha256: the API shows this credential again')
  return { sha256: Buffer.from(line.sha256, 'hex'), sealed: line.sealed === undefined ? undefined : Buffer.from(line.sealed, 'base64') }
}

const SEALED_UNDER_ANOTHER_KEY = "sealed does not open under this server's key (TESSERA_SECRET_KEY) for this credential: import with the key of the server that exported it, or by value"

/** The plaintext of a sealed copy, checked against its lookup hash. */
export function openSealed (open: () => string, hash: Buffer): string {
  let value: string
  try {
    value = open()
  } catch {
    throw new LineProblem(SEALED_UNDER_ANOTHER_KEY)
  }
  if (!constantTimeEqual(sha256(value), hash)) throw new LineProblem('sealed and sha256 are not the same credential')
  return value
}

/** A name as a reason quotes it: JSON-escaped, so no control character reaches the operator's terminal. */
export const quoted = (name: string) => JSON.stringify(name)
export const userLineFailed = (name: string) => `the line of user ${quoted(name)} failed in this import: the user of that name here is another`

export function problemOf (error: unknown): string {
  if (error instanceof LineProblem) return error.message
  throw error
}
