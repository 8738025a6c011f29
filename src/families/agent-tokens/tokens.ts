import { newAccessor } from '../../core/accessors.js'
import { NotFound } from '../../core/errors.js'
import { NO_EXPIRY, readThrough, type ReadCache } from '../../core/notified-cache.js'
import { toKeysetPage, type KeysetPage } from '../../core/pagination.js'
import { constantTimeEqual, sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { isUniqueViolation } from '../../db/errors.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { agentTokenCacheKey } from './cache-keys.js'
import * as repo from './repository.js'
import { newTokenId, publicPartOf, sealingContext, SORT_KEY_LENGTH, sortKeyOf } from './token-id.js'

/** The accessor prefix of agent tokens. */
const AGENT_TOKEN_PREFIX = 'agt'

/**
 * Agent tokens as the API shows them: `id` and `token` are the same value (spec §10.5), and
 * Tessera's non-secret handle beside them (extra fields are harmless to the API's clients, §10.5).
 */
export interface AgentToken {
  id: string
  token: string
  label: string | null
  accessor: string
}

/** Where a token is, for Location headers, and what names it in logs and the audit trail. */
export interface TokenRef {
  id: string
  sortKey: string
  accessor: string
}

/** A fresh sort key clashes only when two tokens of a tenant share a millisecond and 16 random bits. */
const CREATE_ATTEMPTS = 5

function notFound (id: string): NotFound {
  return new NotFound('Object does not exist', { type: 'AgentToken', key: publicPartOf(id) })
}

/** The sort key of an id this tenant could own; 404 without a query when the id cannot be one. */
function sortKeyOrNotFound (id: string, accountId: string): string {
  const sortKey = sortKeyOf(id, accountId)
  if (sortKey === null) throw notFound(id)
  return sortKey
}

function reveal (box: SecretBox, row: repo.AgentTokenRecord): AgentToken {
  const id = box.open(row.token_sealed, sealingContext(row.account_id, row.sort_key))
  return { id, token: id, label: row.label, accessor: row.accessor }
}

/** What a new token is made of: its tenant, label, and the user who made it (their kill switch ends it). */
export interface AgentTokenInput {
  accountId: string
  label: string | null
  createdBy: string | null
}

/** A new token, stored with the audit row `audit` makes of it, in one statement. */
export async function createAgentToken (db: Database, box: SecretBox, { accountId, label, createdBy }: AgentTokenInput, audit: (made: TokenRef) => NewAuditEvent): Promise<TokenRef> {
  for (let attempt = 1; ; attempt++) {
    const { id, sortKey } = newTokenId(accountId)
    const accessor = newAccessor(AGENT_TOKEN_PREFIX)
    try {
      await repo.insertAgentToken(db, {
        account_id: accountId,
        sort_key: sortKey,
        accessor,
        secret_hash: sha256(id),
        token_sealed: box.seal(id, sealingContext(accountId, sortKey)),
        label,
        created_by: createdBy
      }, audit({ id, sortKey, accessor }))
      return { id, sortKey, accessor }
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= CREATE_ATTEMPTS) throw error
    }
  }
}

/** One token by its id: the caller has just sent the id, so nothing needs unsealing. */
export async function getAgentToken (db: Database, accountId: string, id: string, reads?: ReadCache): Promise<AgentToken> {
  const sortKey = sortKeyOrNotFound(id, accountId)
  const secretHash = sha256(id)
  const found = await readThrough(reads, agentTokenCacheKey(accountId, sortKey), async () => {
    const row = await repo.findAgentToken(db, accountId, secretHash)
    return row && { value: { secretHash, label: row.label, accessor: row.accessor }, expiresAt: NO_EXPIRY }
  })
  // The entry is the token at this sort key: another id that shares the sort key is not it.
  if (!found || !constantTimeEqual(found.secretHash, secretHash)) throw notFound(id)
  return { id, token: id, label: found.label, accessor: found.accessor }
}

/**
 * One page in id order, starting at the first id at or after the marker (inclusive: Monitoring
 * markers name the first item of the page; an unknown marker needs no special case). Ids differ
 * within their first 16 characters, so the database compares those with the sort key; only a row
 * whose sort key equals them can still sort before a longer marker, and that row is dropped here.
 */
export async function listAgentTokenPage (db: Database, box: SecretBox, accountId: string, page: { marker?: string | undefined, limit: number }): Promise<KeysetPage<AgentToken>> {
  const { marker, limit } = page
  const request = { from: marker?.slice(0, SORT_KEY_LENGTH), limit }
  const tokens = (await repo.listAgentTokens(db, accountId, request)).map((row) => reveal(box, row))
  return toKeysetPage(tokens, request, (token) => token.id < marker!)
}

/** Changes the label when `label` is given (null clears it); a missing label changes nothing. */
export async function relabelAgentToken (db: Database, accountId: string, id: string, label: string | null | undefined): Promise<TokenRef> {
  const sortKey = sortKeyOrNotFound(id, accountId)
  const accessor = label === undefined
    ? (await repo.findAgentToken(db, accountId, sha256(id)))?.accessor
    : await repo.updateAgentTokenLabel(db, accountId, sha256(id), label)
  if (accessor === undefined) throw notFound(id)
  return { id, sortKey, accessor }
}

export async function deleteAgentToken (db: Database, accountId: string, id: string): Promise<TokenRef> {
  const sortKey = sortKeyOrNotFound(id, accountId)
  const accessor = await repo.deleteAgentToken(db, accountId, sha256(id))
  if (accessor === undefined) throw notFound(id)
  return { id, sortKey, accessor }
}
