import { Type, type Static } from 'typebox'
import { newUuid, USER_ID_PATTERN } from '../../core/identifiers.js'
import { sha256 } from '../../core/secrets.js'
import { findMemberIdByName } from '../../db/repositories/memberships.js'
import { existingAccountIds } from '../../db/repositories/transfer-import.js'
import { hex, iso, walk } from '../../services/transfer/export.js'
import { AccountId, Instant, line, LineProblem, Maker, Name, Secret } from '../../services/transfer/format.js'
import { eachInTurn, failed, imported, instant, quoted, secretOf, SKIPPED, userLineFailed, type Importer } from '../../services/transfer/importers.js'
import { section, type FamilyTransfer } from '../../services/transfer/section.js'
import { TOKEN_SECRET_FORMAT } from './tokens.js'
import * as repo from './transfer-repository.js'

/** Astra tokens as lines of the export format (services/transfer), among the credentials. */

const AstraTokenLineSchema = line('astra-token', {
  account: AccountId,
  user: Name,
  id: Type.Optional(Type.String({ pattern: USER_ID_PATTERN })),
  name: Type.String({ pattern: '^[^\\u0000-\\u001f\\u007f<>]{1,63}$' }),
  labels: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 1024 }), value: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }), { maxItems: 256, uniqueItems: true })),
  createdBy: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  modifiedBy: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  modifiedAt: Type.Optional(Instant),
  value: Secret.value,
  sha256: Secret.sha256
})

type AstraTokenLine = Static<typeof AstraTokenLineSchema>

interface PreparedAstraToken {
  line: AstraTokenLine
  hash: Buffer
}

const astraToken: Importer<AstraTokenLine, PreparedAstraToken> = {
  batchSize: 100,
  prepare (line) {
    const secret = secretOf(line, false)
    if ('value' in secret && !TOKEN_SECRET_FORMAT.test(secret.value)) throw new LineProblem('value must be an Astra token: base64 of 32 bytes (44 characters ending in =)')
    return { line, hash: 'value' in secret ? sha256(secret.value) : secret.sha256 }
  },
  write: (trx, items, { now, failedUsers }) => eachInTurn(items, async ({ line, hash }) => {
    if (!(await existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (failedUsers.has(line.user)) return failed(userLineFailed(line.user))
    const ownerId = await findMemberIdByName(trx, line.account, line.user)
    if (ownerId === undefined) return failed(`unknown user ${quoted(line.user)} in account ${line.account}`)
    if (await repo.userTokenExists(trx, hash)) return SKIPPED
    const id = line.id ?? newUuid()
    if (await repo.userTokenIdTaken(trx, id)) return failed(`token id ${id} is taken by another Astra token`)
    const createdAt = instant(line.createdAt, now)
    await repo.insertImportedUserToken(trx, {
      account_id: line.account,
      user_id: ownerId,
      id,
      name: line.name,
      secret_hash: hash,
      labels: line.labels ?? [],
      created_by: line.createdBy ?? ownerId,
      modified_by: line.modifiedBy ?? null,
      created_at: createdAt,
      modified_at: instant(line.modifiedAt, createdAt)
    })
    return imported(line.account)
  })
}

export const astraTransfer: FamilyTransfer = {
  credentials: [
    section<AstraTokenLine, PreparedAstraToken>({
      type: 'astra-token',
      schema: AstraTokenLineSchema,
      noun: 'Astra tokens',
      async * pages (db) {
        for await (const rows of walk(db, repo.astraTokenPage, (row) => ({ accountId: row.account_id, userId: row.user_id, id: row.id }))) {
          yield rows.map((row) => ({
            type: 'astra-token',
            account: row.account_id,
            user: row.user_name,
            id: row.id,
            name: row.name,
            labels: row.labels,
            createdBy: row.created_by,
            modifiedBy: row.modified_by,
            createdAt: iso(row.created_at),
            modifiedAt: iso(row.modified_at),
            sha256: hex(row.secret_hash)
          }))
        }
      },
      importer: astraToken
    })
  ]
}
