import { LIST_LIMIT } from '../../cli/accounts.js'
import type { FamilyCommands } from '../../cli/family-cli.js'
import type { ListPage, PageRequest, UserView } from '../../cli/operations.js'
import { describeUser } from '../../cli/views.js'
import { NotFound } from '../../core/errors.js'
import { parseLimit } from '../../core/pagination.js'
import { astraKillSwitch } from './kill-switch.js'
import { astraRetention } from './retention.js'
import type { AstraTokenView } from './token-view.js'

/** What the token commands call, on the database (cli-local.ts) or through a server (cli-remote.ts). */
export interface AstraTokenOperations {
  listTokens (user: UserView, page: PageRequest): Promise<ListPage<AstraTokenView>>
  /** False when the user has no such live token. */
  revokeToken (user: UserView, tokenId: string): Promise<boolean>
}

const USER_ARGUMENT = { name: 'user', description: 'the user, by id or by name' }

/** A user's NetApp Astra API tokens, on every account: listed by id (never a secret), and revoked. */
export const astraCli: FamilyCommands<AstraTokenOperations> = {
  local: async () => (await import('./cli-local.js')).localTokenOperations,
  remote: async () => (await import('./cli-remote.js')).remoteTokenOperations,
  retention: astraRetention,
  killSwitch: astraKillSwitch,
  commands: [
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
        const user = await context.ops.findUser(input.arg('user'))
        const page = await (await context.ops.ofFamily(astraCli)).listTokens(user, { after: input.string('after'), limit })
        print.table(page.items, [
          { header: 'ID', value: (token) => token.id },
          { header: 'ACCOUNT', value: (token) => token.accountId },
          { header: 'NAME', value: (token) => JSON.stringify(token.name) },
          { header: 'CREATED', value: (token) => token.createdAt },
          { header: 'CREATED BY', value: (token) => token.createdBy }
        ], (token) => token, `${describeUser(user)} has no Astra tokens`)
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
        const user = await context.ops.findUser(input.arg('user'))
        const tokenId = input.arg('token')
        if (!await (await context.ops.ofFamily(astraCli)).revokeToken(user, tokenId)) {
          throw new NotFound(`${describeUser(user)} has no Astra token ${tokenId}`, { type: 'AstraToken', key: tokenId })
        }
        print.result(`revoked Astra token ${tokenId} of ${describeUser(user)}`, { id: tokenId, userId: user.id, revoked: true })
      }
    }
  ]
}
