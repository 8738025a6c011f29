import type { TSchema } from 'typebox'
import type { Database } from '../../db/database.js'
import type { Line } from './format.js'
import type { Importer } from './importers.js'

/**
 * One type of line of the export format: what a line holds, how the export reads its rows, and
 * how the import writes it. The identity core has its sections (core-sections.ts); each family
 * adds those of its own tables (TokenFamily.transfer).
 */
export interface TransferSection<L extends Line = Line, Item = unknown> {
  type: L['type']
  /** The line's schema (format.ts's `line`): the import checks every line against it first. */
  schema: TSchema
  /** What its lines are, in a list of what an export holds: 'hosts'. */
  noun: string
  /** Its lines, a page at a time, each line referring only to lines of its own or earlier sections. */
  pages (db: Database): AsyncGenerator<L[]>
  importer: Importer<L, Item>
}

/**
 * What a family's tables add to an export, each list in the order its lines must come: its
 * objects follow the core's (accounts, users), its credentials the core's API keys, since a
 * credential may name a user and an object of any family.
 */
export interface FamilyTransfer {
  objects?: readonly TransferSection[]
  credentials?: readonly TransferSection[]
}

/** A section of one line type as one of the list's (its importer takes only its own lines). */
export const section = <L extends Line, Item>(typed: TransferSection<L, Item>): TransferSection => typed as unknown as TransferSection
