import { inTransaction } from '../../services/audit.js'
import { randomUUID } from 'node:crypto'
import { NO_EXPIRY, readThrough, type ReadCache } from '../../core/notified-cache.js'
import { parseHttpDate } from '../../core/http-date.js'
import { parseRfc3339 } from '../../core/rfc3339.js'
import { randomBytes, sha256 } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { tokenListGroup } from './cache-keys.js'
import * as repo from './repository.js'
import { AstraNotFound, FailedExtendedValidation, PreconditionFailed, ServerOwnedConflict, type InvalidField } from './dialect.js'
import { encodeCursor, type IncludeField, type ListRequest } from './list-query.js'
import { etagOf, toTokenResource, type TokenResource } from './resource.js'
import type { MetadataUpdate, NewToken, TokenReplacement } from './schemas.js'

/** The use cases of Astra user tokens: the rules of §B2–§B6 over the user_tokens repository. */

/** Where a token lives: an account and a user of it. */
export interface Collection {
  accountId: string
  userId: string
}

export const SECRET_BYTES = 32
/** The bearer value: base64 of 32 random bytes, 44 characters ending in `=` (spec §B1). */
export const TOKEN_SECRET_FORMAT = /^[A-Za-z0-9+/]{43}=$/

const TRAVERSAL = /\.\.[/\\]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** §B1's extended validation of a name (problem 9): no markup, control characters or path traversal. */
function nameProblem (name: string): string | null {
  if (/[<>]/.test(name)) return 'must not contain < or >'
  if (CONTROL.test(name)) return 'must not contain control characters'
  if (TRAVERSAL.test(name)) return 'must not contain a path traversal sequence (../ or ..\\)'
  return null
}

function checkName (name: string | undefined): void {
  const problem = name === undefined ? null : nameProblem(name)
  if (problem !== null) throw new FailedExtendedValidation([{ name: 'name', reason: problem }])
}

export function collectionNotFound (collection: Collection): AstraNotFound {
  return new AstraNotFound(2, `user ${collection.userId} of account ${collection.accountId} does not exist`, { type: 'User', key: collection.userId })
}

/** GET-one answers an unknown token with problem 2 (sic, spec §B4); PUT and DELETE with problem 1. */
function tokenNotFound (id: string, problem: 1 | 2): AstraNotFound {
  return new AstraNotFound(problem, `token ${id} does not exist`, { type: 'Token', key: id })
}

function conflict (field: string, reason: string): InvalidField {
  return { name: field, reason }
}

/**
 * On creation every server-owned metadata value is the server's to set: one the client gives
 * is a conflict unless it is what the server sets anyway (createdBy = the caller).
 */
function creationConflicts (metadata: MetadataUpdate | undefined, callerId: string): InvalidField[] {
  if (metadata === undefined) return []
  const fields: InvalidField[] = []
  if (metadata.createdBy !== undefined && metadata.createdBy !== callerId) fields.push(conflict('metadata.createdBy', 'is set by the server to the caller'))
  if (metadata.modifiedBy !== undefined) fields.push(conflict('metadata.modifiedBy', 'is set by the server'))
  if (metadata.creationTimestamp !== undefined) fields.push(conflict('metadata.creationTimestamp', 'is set by the server'))
  if (metadata.modificationTimestamp !== undefined) fields.push(conflict('metadata.modificationTimestamp', 'is set by the server'))
  return fields
}

export interface CreatedToken {
  resource: TokenResource
  /** The bearer secret, shown in the creation reply only. */
  token: string
}

export async function createUserToken (db: Database, collection: Collection, body: NewToken, callerId: string): Promise<CreatedToken> {
  checkName(body.name)
  const conflicts = creationConflicts(body.metadata, callerId)
  if (conflicts.length > 0) throw new ServerOwnedConflict(conflicts)
  const token = randomBytes(SECRET_BYTES).toString('base64')
  const row = await repo.insertUserToken(db, {
    ...collection,
    id: randomUUID(),
    name: body.name,
    secretHash: sha256(token),
    labels: body.metadata?.labels ?? [],
    createdBy: callerId
  })
  return { resource: toTokenResource(row), token }
}

export async function getUserToken (db: Database, collection: Collection, id: string): Promise<TokenResource> {
  const row = await repo.findUserToken(db, collection.accountId, collection.userId, id)
  if (!row) throw tokenNotFound(id, 2)
  return toTokenResource(row)
}

/** The preconditions of a PUT (RFC 7232), as sent. */
export interface Preconditions {
  ifMatch?: string | undefined
  ifUnmodifiedSince?: string | undefined
}

/** `*` or a list of entity tags; weak ones never match (If-Match compares strongly). */
function matchesAny (header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').map((tag) => tag.trim()).some((tag) => tag === etag || `"${tag}"` === etag)
}

function checkPreconditions (current: TokenResource, modifiedAt: Date, preconditions: Preconditions): void {
  if (preconditions.ifMatch !== undefined && !matchesAny(preconditions.ifMatch, etagOf(current))) {
    throw new PreconditionFailed('If-Match does not match the token\'s current ETag.')
  }
  if (preconditions.ifMatch === undefined && preconditions.ifUnmodifiedSince !== undefined) {
    // RFC 9110 §13.1.4: a value that is not an HTTP-date is ignored.
    const since = parseHttpDate(preconditions.ifUnmodifiedSince)
    // HTTP dates have whole seconds: the token is unmodified if it last changed within that second.
    if (since !== null && Math.floor(modifiedAt.getTime() / 1000) * 1000 > since.getTime()) {
      throw new PreconditionFailed('The token was modified after If-Unmodified-Since.')
    }
  }
}

function replacementConflicts (body: TokenReplacement, current: TokenResource): InvalidField[] {
  const fields: InvalidField[] = []
  if (body.id !== undefined && body.id !== current.id) fields.push(conflict('id', 'differs from the token\'s id'))
  if (body.userID !== undefined && body.userID !== current.userID) fields.push(conflict('userID', 'differs from the token\'s user'))
  const metadata = body.metadata
  if (metadata?.createdBy !== undefined && metadata.createdBy !== current.metadata.createdBy) {
    fields.push(conflict('metadata.createdBy', 'differs from the stored value'))
  }
  if (metadata?.creationTimestamp !== undefined && parseRfc3339(metadata.creationTimestamp)?.getTime() !== parseRfc3339(current.metadata.creationTimestamp)?.getTime()) {
    fields.push(conflict('metadata.creationTimestamp', 'differs from the stored value'))
  }
  return fields
}

/**
 * PUT (§B5): replaces the name (when given) and the labels (when metadata is given), keeps the
 * server-owned values, moves modificationTimestamp and sets modifiedBy. Checked and written
 * under the row's lock, so a concurrent change cannot slip between If-Match and the write.
 * Returns the new resource (for its ETag).
 */
export async function replaceUserToken (db: Database, collection: Collection, id: string, body: TokenReplacement, callerId: string, preconditions: Preconditions): Promise<TokenResource> {
  checkName(body.name)
  return inTransaction(db, async (trx) => {
    const row = await repo.findUserToken(trx, collection.accountId, collection.userId, id, true)
    if (!row) throw tokenNotFound(id, 1)
    const current = toTokenResource(row)
    // Preconditions only decide between a 2xx and 412 (RFC 7232 §5): a conflict is 409 regardless.
    const conflicts = replacementConflicts(body, current)
    if (conflicts.length > 0) throw new ServerOwnedConflict(conflicts)
    checkPreconditions(current, row.modified_at, preconditions)
    const labels = body.metadata === undefined ? current.metadata.labels : (body.metadata.labels ?? [])
    const updated = await repo.updateUserToken(trx, collection.accountId, collection.userId, id, { name: body.name ?? current.name, labels, modifiedBy: callerId })
    if (!updated) throw tokenNotFound(id, 1)
    return toTokenResource(updated)
  })
}

export async function revokeUserToken (db: Database, collection: Collection, id: string): Promise<void> {
  if (!await repo.revokeUserToken(db, collection.accountId, collection.userId, id)) throw tokenNotFound(id, 1)
}

export interface TokenListPage {
  items: Array<TokenResource | unknown[]>
  continue: string | undefined
  count: number | undefined
}

function orderValue (resource: TokenResource, field: ListRequest['order']['field']): string {
  switch (field) {
    case 'id': return resource.id
    case 'name': return resource.name
    case 'createdBy': return resource.metadata.createdBy
    case 'creationTimestamp': return resource.metadata.creationTimestamp
    case 'modificationTimestamp': return resource.metadata.modificationTimestamp
  }
}

function pick (resource: TokenResource, fields: IncludeField[]): unknown[] {
  return fields.map((field) => resource[field])
}

/** Whether the collection exists: the account, and the user as one of its users (then remembered). */
export async function collectionExists (db: Database, collection: Collection, reads?: ReadCache): Promise<boolean> {
  const exists = await readThrough(reads, `astra-user:${collection.accountId}/${collection.userId}`, async () =>
    await repo.isUserOfAccount(db, collection.accountId, collection.userId) ? { value: true, expiresAt: NO_EXPIRY } : undefined)
  return exists === true
}

/** One page (§B3), from the read cache when it holds the same request's page. */
export async function listUserTokenPage (db: Database, collection: Collection, request: ListRequest, reads?: ReadCache): Promise<TokenListPage> {
  const group = tokenListGroup(collection.accountId, collection.userId)
  const page = await readThrough(reads, `${group}?${request.key}`, async () => ({ value: await readPage(db, collection, request), expiresAt: NO_EXPIRY }), group)
  return page!
}

/** One page (§B3): keyset after the cursor, and a cursor for the next page when one follows. */
async function readPage (db: Database, collection: Collection, request: ListRequest): Promise<TokenListPage> {
  const rows = await repo.listUserTokens(db, collection.accountId, collection.userId, request.query)
  const resources = rows.slice(0, request.limit).map(toTokenResource)
  const last = resources.at(-1)
  const next = rows.length > request.limit && last !== undefined
    ? encodeCursor({ orderBy: request.orderBy, filter: request.filter, value: orderValue(last, request.order.field), id: last.id })
    : undefined
  const count = request.count ? await repo.countUserTokens(db, collection.accountId, collection.userId, request.query.conditions) : undefined
  return { items: request.include ? resources.map((resource) => pick(resource, request.include!)) : resources, continue: next, count }
}
