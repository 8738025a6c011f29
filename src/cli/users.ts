import { audited, CLI_CONTEXT } from '../services/audit.js'
import { parseLimit, toKeysetPage } from '../core/pagination.js'
import { listRolesByAccountOfUsers } from '../db/repositories/role-assignments.js'
import { listUsers, listUsersInAccount, type UserRecord } from '../db/repositories/users.js'
import { changeUser, createUser, rotateApiKey } from '../services/identity.js'
import { resolveAccount, resolveUser } from '../services/lookups.js'
import { credentialToolsOf, passwordsOf, type CliContext, type CommandSpec, type Printer } from './command.js'
import { LIST_LIMIT } from './accounts.js'
import { readNewPassword } from './secret-input.js'
import { checkEmail, checkIdentifier, checkName } from './validate.js'
import { describeAccount, describeUser, userView } from './views.js'

const USER_ARGUMENT = { name: 'user', description: 'the user, by id or by name' }
const API_KEY_NOTE = "The API key is printed only this once: it is stored as a hash, and sealed under the server key for Conjur's login."

async function setEnabled (idOrName: string, enabled: boolean, context: CliContext, print: Printer): Promise<void> {
  const { id } = await resolveUser(context.db, idOrName)
  const user = await audited(context.db, CLI_CONTEXT, (trx) => changeUser(trx, passwordsOf(context), id, { enabled }),
    (changed) => ({ kind: 'user.changed', accountId: changed.account_id, object: { type: 'user', id }, details: { changes: { enabled } } }))
  print.result(`${enabled ? 'enabled' : 'disabled'} ${describeUser(user)}`, userView(user))
}

/** Roles on the home account by name, on other accounts as `role@account`. */
function formatRoles (user: UserRecord, roles: Map<string, string[]>): string {
  const home = roles.get(user.account_id) ?? []
  const elsewhere = [...roles].filter(([accountId]) => accountId !== user.account_id)
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
      const account = await resolveAccount(context.db, input.arg('account'))
      const password = input.flag('password-stdin') ? await readNewPassword(context.stdin, context.stderr, name) : undefined
      const created = await audited(context.db, CLI_CONTEXT, (trx) => createUser(trx, credentialToolsOf(context), {
        accountId: account.id,
        name,
        email: email === undefined ? undefined : checkEmail(email),
        roles,
        password,
        enabled: !input.flag('disabled')
      }), (made) => ({ kind: 'user.created', accountId: account.id, object: { type: 'user', id: made.user.id }, details: { name, roles, password: password === undefined ? undefined : 'set' } }))
      print.result([
        `created ${describeUser(created.user)} in ${describeAccount(account)}${created.user.enabled ? '' : ', disabled'}`,
        `roles:   ${created.roles.join(', ') || 'none'}`,
        `api key: ${created.apiKey}`,
        `api key accessor: ${created.apiKeyAccessor}`
      ], { ...userView(created.user), roles: created.roles, apiKey: created.apiKey, apiKeyAccessor: created.apiKeyAccessor })
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
      const page = { after: input.string('after'), limit }
      const rows = accountName === undefined
        ? await listUsers(context.db, page)
        : await listUsersInAccount(context.db, (await resolveAccount(context.db, accountName)).id, page)
      const { items, next } = toKeysetPage(rows, page)
      const found = await listRolesByAccountOfUsers(context.db, items.map((user) => user.id))
      const roles = new Map(items.map((user) => [user.id, found.get(user.id) ?? new Map<string, string[]>()]))
      print.table(items, [
        { header: 'ID', value: (user) => user.id },
        { header: 'NAME', value: (user) => user.name },
        { header: 'ACCOUNT', value: (user) => user.account_id },
        { header: 'EMAIL', value: (user) => user.email ?? '-' },
        { header: 'ENABLED', value: (user) => (user.enabled ? 'yes' : 'no') },
        { header: 'ROLES', value: (user) => formatRoles(user, roles.get(user.id)!) }
      ], (user) => ({ ...userView(user), roles: Object.fromEntries(roles.get(user.id)!) }), 'no users')
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
      const { id, name } = await resolveUser(context.db, input.arg('user'))
      const password = await readNewPassword(context.stdin, context.stderr, name)
      const user = await audited(context.db, CLI_CONTEXT, (trx) => changeUser(trx, passwordsOf(context), id, { password }),
        (changed) => ({ kind: 'user.changed', accountId: changed.account_id, object: { type: 'user', id }, details: { changes: { password: 'changed' } } }))
      print.result(`changed the password of ${describeUser(user)}`, userView(user))
    }
  },
  {
    group: 'users',
    name: 'rotate-api-key',
    summary: "Replace a user's API key with a new one (printed once); the old key stops working at once.",
    arguments: [USER_ARGUMENT],
    options: {},
    async run (input, context, print) {
      const user = await resolveUser(context.db, input.arg('user'))
      const { apiKey, accessor } = await audited(context.db, CLI_CONTEXT, (trx) => rotateApiKey(trx, credentialToolsOf(context).box, user.id),
        (issued) => ({ kind: 'api-key.rotated', accountId: user.account_id, object: { type: 'api-key', id: issued.accessor }, details: { userId: user.id } }))
      print.result([`rotated the API key of ${describeUser(user)}`, `api key: ${apiKey}`, `api key accessor: ${accessor}`], { ...userView(user), apiKey, apiKeyAccessor: accessor })
      print.note(API_KEY_NOTE)
    }
  }
]
