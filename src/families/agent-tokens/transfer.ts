import { Type, type Static } from 'typebox'
import { sha256 } from '../../core/secrets.js'
import { existingAccountIds } from '../../db/repositories/transfer-import.js'
import { base64, hex, iso, walk } from '../../services/transfer/export.js'
import { AccountId, accessor, Instant, line, LineProblem, Maker, Secret } from '../../services/transfer/format.js'
import { failed, imported, instant, newAccessor, openSealed, secretOf, SKIPPED, type Importer } from '../../services/transfer/importers.js'
import { section, type FamilyTransfer } from '../../services/transfer/section.js'
import { sealingContext } from './token-id.js'
import * as repo from './transfer-repository.js'

/** Agent tokens as lines of the export format (services/transfer), among the credentials. */

const AgentTokenLineSchema = line('agent-token', {
  account: AccountId,
  accessor: Type.Optional(accessor('agt')),
  /** The first 16 hex digits of the token (not secret): what its sealed copy is bound to. */
  sortKey: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
  label: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
  createdBy: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  ...Secret
})

type AgentTokenLine = Static<typeof AgentTokenLineSchema>

/** An agent token: `<64 lowercase hex>.<tenant id>`, its first 16 digits the sort key (token-id.ts). */
const AGENT_TOKEN = /^([0-9a-f]{16})[0-9a-f]{48}\.(.+)$/s

function agentTokenSortKey (value: string, accountId: string, field: string): string {
  const match = AGENT_TOKEN.exec(value)
  if (!match || match[2] !== accountId) throw new LineProblem(`${field} must be an agent token of account ${accountId}: 64 lowercase hex digits, '.', then the account id`)
  return match[1]!
}

const agentToken: Importer<AgentTokenLine, repo.ImportedAgentToken> = {
  batchSize: 1000,
  prepare (line, { box, now }) {
    const secret = secretOf(line, true)
    let sortKey: string
    let token: { secret_hash: Buffer, token_sealed: Buffer }
    if ('value' in secret) {
      sortKey = agentTokenSortKey(secret.value, line.account, 'value')
      if (line.sortKey !== undefined && line.sortKey !== sortKey) throw new LineProblem('sortKey must be the first 16 hex digits of value')
      token = { secret_hash: sha256(secret.value), token_sealed: box.seal(secret.value, sealingContext(line.account, sortKey)) }
    } else {
      if (line.sortKey === undefined) throw new LineProblem('sortKey is required with sealed: the sealed copy is bound to it')
      sortKey = line.sortKey
      const value = openSealed(() => box.open(secret.sealed!, sealingContext(line.account, line.sortKey!)), secret.sha256)
      if (agentTokenSortKey(value, line.account, 'the sealed token') !== sortKey) throw new LineProblem('sortKey must be the first 16 hex digits of the token')
      token = { secret_hash: secret.sha256, token_sealed: secret.sealed! }
    }
    return {
      account_id: line.account,
      sort_key: sortKey,
      ...token,
      accessor: line.accessor ?? newAccessor('agt'),
      label: line.label ?? null,
      created_by: line.createdBy ?? null,
      created_at: instant(line.createdAt, now)
    }
  },
  // The one kind imported by the hundred thousand: a batch is checked with one query and written with another.
  async write (trx, tokens) {
    const accounts = await existingAccountIds(trx, tokens.map((token) => token.account_id))
    const conflicts = await repo.agentTokenConflicts(trx, tokens)
    const hashes = new Set(conflicts.map((row) => Buffer.from(row.secret_hash).toString('hex')))
    const accessors = new Set(conflicts.map((row) => row.accessor))
    const sortKeys = new Set(conflicts.map((row) => `${row.account_id}\n${row.sort_key}`))
    const written: repo.ImportedAgentToken[] = []
    const outcomes = tokens.map((token) => {
      const hash = Buffer.from(token.secret_hash).toString('hex')
      const sortKey = `${token.account_id}\n${token.sort_key}`
      if (!accounts.has(token.account_id)) return failed(`unknown account '${token.account_id}'`)
      if (hashes.has(hash)) return SKIPPED
      if (accessors.has(token.accessor)) return failed(`accessor ${token.accessor} is taken by another agent token`)
      if (sortKeys.has(sortKey)) return failed(`another agent token of account ${token.account_id} starts with the same 16 hex digits (its sort key)`)
      hashes.add(hash)
      accessors.add(token.accessor)
      sortKeys.add(sortKey)
      written.push(token)
      return imported(token.account_id)
    })
    await repo.insertImportedAgentTokens(trx, written)
    return outcomes
  }
}

export const agentTokenTransfer: FamilyTransfer = {
  credentials: [
    section<AgentTokenLine, repo.ImportedAgentToken>({
      type: 'agent-token',
      schema: AgentTokenLineSchema,
      noun: 'agent tokens',
      async * pages (db) {
        for await (const rows of walk(db, repo.agentTokenPage, (row) => ({ accountId: row.account_id, sortKey: row.sort_key }))) {
          yield rows.map((row) => ({
            type: 'agent-token',
            account: row.account_id,
            accessor: row.accessor,
            sortKey: row.sort_key,
            label: row.label,
            createdBy: row.created_by,
            createdAt: iso(row.created_at),
            sha256: hex(row.secret_hash),
            sealed: base64(row.token_sealed)
          }))
        }
      },
      importer: agentToken
    })
  ]
}
