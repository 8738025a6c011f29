import { audited, CLI_CONTEXT } from '../services/audit.js'
import { NotFound } from '../core/errors.js'
import { parseLimit, toKeysetPage } from '../core/pagination.js'
import { listTokensOfUser, revokeTokenOfUser, type UserTokenRecord } from '../families/astra/repository.js'
import { resolveUser } from '../services/lookups.js'
import type { CommandSpec } from './command.js'
import { LIST_LIMIT } from './accounts.js'
import { describeUser } from './views.js'

const USER_ARGUMENT = { name: 'user', description: 'the user, by id or by name' }

/** The --json shape: like the admin API's, never a secret (only its hash is stored). */
function astraTokenView (row: UserTokenRecord) {
  return {
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    userId: row.user_id,
    labels: row.labels,
    createdAt: row.created_at,
    createdBy: row.created_by,
    modifiedAt: row.modified_at,
    modifiedBy: row.modified_by
  }
}

/** A user's NetApp Astra API tokens, on every account: listed by id, and revoked. */
export const astraTokenCommands: CommandSpec[] = [
  {
    group: 'astra-tokens',
    name: 'list',
    summary: "List a user's live NetApp Astra API tokens (on every account) by id, a page at a time.",
    arguments: [USER_ARGUMENT],
    options: {
      limit: { type: 'string', value: 'N', description: `tokens per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
      after: { type: 'string', value: 'ID', description: 'start after this token id (the last id of the previous page)' }
    },
    async run (input, context, print) {
      const limit = parseLimit(input.string('limit'), LIST_LIMIT)
      const user = await resolveUser(context.db, input.arg('user'))
      const request = { after: input.string('after'), limit }
      const page = toKeysetPage(await listTokensOfUser(context.db, user.id, request), request)
      print.table(page.items, [
        { header: 'ID', value: (token) => token.id },
        { header: 'ACCOUNT', value: (token) => token.account_id },
        { header: 'NAME', value: (token) => JSON.stringify(token.name) },
        { header: 'CREATED', value: (token) => token.created_at.toISOString() },
        { header: 'CREATED BY', value: (token) => token.created_by }
      ], astraTokenView, `${describeUser(user)} has no Astra tokens`)
      if (page.next) print.note(`more tokens follow: continue with --after ${page.items.at(-1)!.id}`)
    }
  },
  {
    group: 'astra-tokens',
    name: 'revoke',
    summary: "Revoke one of a user's NetApp Astra API tokens: its bearer value stops working at once.",
    arguments: [USER_ARGUMENT, { name: 'token', description: 'the token id (as listed; not the secret)' }],
    options: {},
    async run (input, context, print) {
      const user = await resolveUser(context.db, input.arg('user'))
      const tokenId = input.arg('token')
      // The token's own account, which is not the user's when a role there let them make it.
      const revokedOn = await audited(context.db, CLI_CONTEXT, (trx) => revokeTokenOfUser(trx, user.id, tokenId),
        (accountId) => accountId === undefined ? undefined : { kind: 'astra-token.revoked', accountId, object: { type: 'astra-token', id: tokenId }, details: { userId: user.id } })
      if (revokedOn === undefined) {
        throw new NotFound(`${describeUser(user)} has no Astra token ${tokenId}`, { type: 'AstraToken', key: tokenId })
      }
      print.result(`revoked Astra token ${tokenId} of ${describeUser(user)}`, { id: tokenId, userId: user.id, revoked: true })
    }
  }
]
