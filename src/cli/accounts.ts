import { parseLimit } from '../core/pagination.js'
import type { CliContext, CommandSpec, Printer } from './command.js'
import { checkIdentifier, checkName } from './validate.js'
import { describeAccount } from './views.js'

export const LIST_LIMIT = { defaultLimit: 100, min: 1, max: 1000 }

const ACCOUNT_ARGUMENT = { name: 'account', description: 'the account, by id or by name' }

async function setEnabled (idOrName: string, enabled: boolean, { ops }: CliContext, print: Printer): Promise<void> {
  const account = await ops.setAccountEnabled(await ops.findAccount(idOrName), enabled)
  print.result(`${enabled ? 'enabled' : 'disabled'} ${describeAccount(account)}`, account)
}

export const accountCommands: CommandSpec[] = [
  {
    group: 'accounts',
    name: 'create',
    summary: 'Create an account (a tenant).',
    arguments: [{ name: 'name', description: 'the account name: 1 to 64 characters, unique' }],
    options: {
      id: { type: 'string', value: 'ID', description: "the account id: 1 to 64 letters, digits, '.', '_', ':' or '-' (default: 32 random hex digits)" },
      disabled: { type: 'boolean', description: 'create it disabled: its users cannot log in to it' }
    },
    async run (input, context, print) {
      const id = input.string('id')
      const account = await context.ops.createAccount({
        id: id === undefined ? undefined : checkIdentifier('account id', id),
        name: checkName('account name', input.arg('name')),
        enabled: !input.flag('disabled')
      })
      print.result(`created ${describeAccount(account)}${account.enabled ? '' : ', disabled'}`, account)
    }
  },
  {
    group: 'accounts',
    name: 'list',
    summary: 'List accounts by id, a page at a time.',
    arguments: [],
    options: {
      limit: { type: 'string', value: 'N', description: `accounts per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
      after: { type: 'string', value: 'ID', description: 'start after this account id (the last id of the previous page)' }
    },
    async run (input, context, print) {
      const limit = parseLimit(input.string('limit'), LIST_LIMIT)
      const page = await context.ops.listAccounts({ after: input.string('after'), limit })
      print.table(page.items, [
        { header: 'ID', value: (account) => account.id },
        { header: 'NAME', value: (account) => account.name },
        { header: 'ENABLED', value: (account) => (account.enabled ? 'yes' : 'no') },
        { header: 'CREATED', value: (account) => account.createdAt }
      ], (account) => account, 'no accounts')
      if (page.next) print.note(`more accounts follow: continue with --after ${page.items.at(-1)!.id}`)
    }
  },
  {
    group: 'accounts',
    name: 'disable',
    summary: "Disable an account: its users, and every session scoped to it, stop working. The administrators' account cannot be disabled.",
    arguments: [ACCOUNT_ARGUMENT],
    options: {},
    run: (input, context, print) => setEnabled(input.arg('account'), false, context, print)
  },
  {
    group: 'accounts',
    name: 'enable',
    summary: 'Enable a disabled account.',
    arguments: [ACCOUNT_ARGUMENT],
    options: {},
    run: (input, context, print) => setEnabled(input.arg('account'), true, context, print)
  }
]
