import { FAMILY_CLIS } from '../families/cli-commands.js'
import { inWords } from '../core/in-words.js'
import { parseLimit } from '../core/pagination.js'
import type { CliContext, CommandSpec, Printer } from './command.js'
import { LIST_LIMIT } from './accounts.js'
import type { ListedUserView } from './operations.js'
import { readNewPassword } from './secret-input.js'
import { checkEmail, checkIdentifier, checkName } from './validate.js'
import { describeAccount, describeUser } from './views.js'

const USER_ARGUMENT = { name: 'user', description: 'the user, by id or by name' }
const SEALED_FOR = FAMILY_CLIS.flatMap((family) => family.sealedApiKeyUse ?? [])
const API_KEY_NOTE = `The API key is printed only this once: it is stored as a hash${SEALED_FOR.length === 0 ? '' : `, and sealed under the server key for ${inWords(SEALED_FOR)}`}.`

async function setEnabled (idOrName: string, enabled: boolean, { ops }: CliContext, print: Printer): Promise<void> {
  const user = await ops.changeUser(await ops.findUser(idOrName), { enabled })
  print.result(`${enabled ? 'enabled' : 'disabled'} ${describeUser(user)}`, user)
}

/** Roles on the home account by name, on other accounts as `role@account`. */
function formatRoles (user: ListedUserView): string {
  const home = user.roles[user.accountId] ?? []
  const elsewhere = Object.entries(user.roles).filter(([accountId]) => accountId !== user.accountId)
    .flatMap(([accountId, names]) => names.map((role) => `${role}@${accountId}`))
  return [...home, ...elsewhere].join(',') || '-'
}

export const userCommands: CommandSpec[] = [
  {
    group: 'users',
    name: 'create',
    summary: 'Create a user in an account, with a first API key (printed once).',
    arguments: [
      { name: 'account', description: "the user's home account, by id or by name" },
      { name: 'name', description: 'the user name: 1 to 64 characters, unique across accounts' }
    ],
    options: {
      email: { type: 'string', value: 'E', description: "the user's email address" },
      role: { type: 'string', multiple: true, value: 'R', description: 'a role on the home account; repeat for several (without one the user cannot log in scoped to it)' },
      'password-stdin': { type: 'boolean', description: 'read a password from standard input (one line; prompted without echo on a terminal); without it the user has only the API key' },
      disabled: { type: 'boolean', description: 'create the user disabled' }
    },
    async run (input, context, print) {
      const name = checkName('user name', input.arg('name'))
      const email = input.string('email')
      const roles = input.strings('role').map((role) => checkIdentifier('role', role))
      const account = await context.ops.findAccount(input.arg('account'))
      const password = input.flag('password-stdin') ? await readNewPassword(context.stdin, context.stderr, name) : undefined
      const created = await context.ops.createUser(account, {
        name,
        email: email === undefined ? undefined : checkEmail(email),
        roles,
        password,
        enabled: !input.flag('disabled')
      })
      print.result([
        `created ${describeUser(created)} in ${describeAccount(account)}${created.enabled ? '' : ', disabled'}`,
        `roles:   ${created.roles.join(', ') || 'none'}`,
        `api key: ${created.apiKey}`,
        `api key accessor: ${created.apiKeyAccessor}`
      ], created)
      print.note(API_KEY_NOTE)
    }
  },
  {
    group: 'users',
    name: 'list',
    summary: 'List users by id, a page at a time, with their roles.',
    arguments: [],
    options: {
      account: { type: 'string', value: 'A', description: 'only the users whose home account is A (by id or by name)' },
      limit: { type: 'string', value: 'N', description: `users per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
      after: { type: 'string', value: 'ID', description: 'start after this user id (the last id of the previous page)' }
    },
    async run (input, context, print) {
      const limit = parseLimit(input.string('limit'), LIST_LIMIT)
      const accountName = input.string('account')
      const accountId = accountName === undefined ? undefined : (await context.ops.findAccount(accountName)).id
      const { items, next } = await context.ops.listUsers(accountId, { after: input.string('after'), limit })
      print.table(items, [
        { header: 'ID', value: (user) => user.id },
        { header: 'NAME', value: (user) => user.name },
        { header: 'ACCOUNT', value: (user) => user.accountId },
        { header: 'EMAIL', value: (user) => user.email ?? '-' },
        { header: 'ENABLED', value: (user) => (user.enabled ? 'yes' : 'no') },
        { header: 'ROLES', value: formatRoles }
      ], (user) => user, 'no users')
      if (next) print.note(`more users follow: continue with --after ${items.at(-1)!.id}`)
    }
  },
  {
    group: 'users',
    name: 'disable',
    summary: 'Disable a user: their passwords, API key and sessions stop working.',
    arguments: [USER_ARGUMENT],
    options: {},
    run: (input, context, print) => setEnabled(input.arg('user'), false, context, print)
  },
  {
    group: 'users',
    name: 'enable',
    summary: 'Enable a disabled user.',
    arguments: [USER_ARGUMENT],
    options: {},
    run: (input, context, print) => setEnabled(input.arg('user'), true, context, print)
  },
  {
    group: 'users',
    name: 'set-password',
    summary: "Set a user's password, read from standard input (one line; prompted twice without echo on a terminal). Never pass it as an argument.",
    arguments: [USER_ARGUMENT],
    options: {},
    async run (input, context, print) {
      const found = await context.ops.findUser(input.arg('user'))
      const password = await readNewPassword(context.stdin, context.stderr, found.name)
      const user = await context.ops.changeUser(found, { password })
      print.result(`changed the password of ${describeUser(user)}`, user)
    }
  },
  {
    group: 'users',
    name: 'rotate-api-key',
    summary: "Replace a user's API key with a new one (printed once); the old key stops working at once.",
    arguments: [USER_ARGUMENT],
    options: {},
    async run (input, context, print) {
      const user = await context.ops.findUser(input.arg('user'))
      const { apiKey, accessor } = await context.ops.rotateApiKey(user)
      print.result([`rotated the API key of ${describeUser(user)}`, `api key: ${apiKey}`, `api key accessor: ${accessor}`], { ...user, apiKey, apiKeyAccessor: accessor })
      print.note(API_KEY_NOTE)
    }
  }
]
