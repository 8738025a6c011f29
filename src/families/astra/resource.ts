import { createHash } from 'node:crypto'
import type { Label, UserTokenRecord } from './repository.js'

/** The token resource as Astra shows it (spec §B2, §B4): the one place rows become resources. */

export const RESOURCE_TYPE = 'application/astra-token'
export const RESOURCE_VERSION = '1.0'
/** The list's own type (spec §B3 example). */
export const COLLECTION_TYPE = 'application/astra-tokens'
/** The media type of one token, which clients may ask for in Accept and send in Content-Type. */
export const TOKEN_MEDIA_TYPE = 'application/astra-token+json'

export interface TokenMetadata {
  labels: Label[]
  creationTimestamp: string
  modificationTimestamp: string
  createdBy: string
  modifiedBy?: string
}

export interface TokenResource {
  type: typeof RESOURCE_TYPE
  version: typeof RESOURCE_VERSION
  id: string
  name: string
  userID: string
  metadata: TokenMetadata
}

/** UTC with `Z` and milliseconds: `2022-10-06T20:58:16.305Z` (type_astra_time). */
export function astraTime (date: Date): string {
  return date.toISOString()
}

export function toTokenResource (row: UserTokenRecord): TokenResource {
  const metadata: TokenMetadata = {
    labels: row.labels as unknown as Label[],
    creationTimestamp: astraTime(row.created_at),
    modificationTimestamp: astraTime(row.modified_at),
    createdBy: row.created_by
  }
  if (row.modified_by !== null) metadata.modifiedBy = row.modified_by
  return { type: RESOURCE_TYPE, version: RESOURCE_VERSION, id: row.id, name: row.name, userID: row.user_id, metadata }
}

/** The strong ETag of a resource: hex MD5 of its JSON (spec §B1), quoted as RFC 7232 wants. */
export function etagOf (resource: TokenResource): string {
  return `"${createHash('md5').update(JSON.stringify(resource)).digest('hex')}"`
}
