import { LIST_LIMIT } from '../../cli/accounts.js'
import { DRY_RUN } from '../../cli/dry-run.js'
import type { CliContext, CommandInput } from '../../cli/command.js'
import type { FamilyCommands } from '../../cli/family-cli.js'
import type { AccountView, ListPage, PageRequest } from '../../cli/operations.js'
import { describeAccount } from '../../cli/views.js'
import { InvalidInput } from '../../core/errors.js'
import { parseLimit } from '../../core/pagination.js'
import type { RevokedHostCredentials } from './revocation.js'
import type { HostFactoryView, PermissionChange } from './host-factories.js'
import type { Privilege } from './repository.js'
import { conjurKillSwitch } from './kill-switch.js'
import { conjurRetention } from './retention.js'

/** Conjur host factories of an account, and a host's kill switch: the CLI twin of the family's admin routes. */

/** What the commands call, on the database (cli-local.ts) or through a server (cli-remote.ts). */
export interface ConjurOperations {
  create (account: AccountView, input: { id: string, layers: string[], owner: string | undefined }): Promise<HostFactoryView>
  list (account: AccountView, page: PageRequest): Promise<ListPage<HostFactoryView>>
  get (account: AccountView, id: string): Promise<HostFactoryView>
  remove (account: AccountView, id: string): Promise<void>
  changePermission (account: AccountView, id: string, change: PermissionChange, grant: boolean): Promise<void>
  revokeHostCredentials (account: AccountView, hostId: string, dryRun: boolean): Promise<RevokedHostCredentials>
}

const operationsOf = (context: CliContext) => context.ops.ofFamily(conjurCli)

/** Typed against the repository's, without loading it (and the database layer) for the command line. */
const PRIVILEGES: readonly Privilege[] = ['read', 'execute', 'update']

const CONJUR_ID = /^[A-Za-z0-9._@/-]{1,128}$/
const ACCOUNT = { name: 'account', description: 'the account, by id or by name' }
const FACTORY = { name: 'id', description: "the host factory id: 1 to 128 letters, digits, '.', '_', '@', '/' or '-'" }
const ROLE = { name: 'role', description: 'a user or host of the account: <account name>:user:<name> or <account name>:host:<id>' }
const PRIVILEGE = { name: 'privilege', description: 'read (see it and its tokens), execute (create tokens) or update (revoke tokens)' }

function checkConjurId (field: string, value: string): string {
  if (!CONJUR_ID.test(value)) {
    throw new InvalidInput(`${field} must be 1 to 128 letters, digits, '.', '_', '@', '/' or '-' (got ${JSON.stringify(value)})`, { fields: [{ path: [field], problem: 'is not a valid id' }] })
  }
  return value
}

function checkPrivilege (value: string): Privilege {
  if (!(PRIVILEGES as readonly string[]).includes(value)) {
    throw new InvalidInput(`privilege must be read, execute or update (got ${JSON.stringify(value)})`, { fields: [{ path: ['privilege'], problem: 'is not a privilege' }] })
  }
  return value as Privilege
}

/** A factory's listing key: its id without the `<account name>:host_factory:` of its Conjur id. */
function keyOf (accountName: string, factory: HostFactoryView): string {
  return factory.id.slice(`${accountName}:host_factory:`.length)
}

function lines (factory: HostFactoryView): string[] {
  return [
    `host factory ${factory.id}`,
    `  owner        ${factory.owner ?? '(none: the account\'s admins)'}`,
    `  layers       ${factory.layers.join(', ') || '(none)'}`,
    ...factory.permissions.map((permission) => `  ${permission.privilege.padEnd(12)} ${permission.role}`)
  ]
}

async function changeFrom (input: CommandInput, context: CliContext, grant: boolean) {
  const account = await context.ops.findAccount(input.arg('account'))
  const id = checkConjurId('id', input.arg('id'))
  const change = { role: input.arg('role'), privilege: checkPrivilege(input.arg('privilege')) }
  await (await operationsOf(context)).changePermission(account, id, change, grant)
  return { account, id, change }
}

export const conjurCli: FamilyCommands<ConjurOperations> = {
  local: async () => (await import('./cli-local.js')).localConjurOperations,
  remote: async () => (await import('./cli-remote.js')).remoteConjurOperations,
  retention: conjurRetention,
  killSwitch: conjurKillSwitch,
  // Its login answers with the user's API key itself.
  sealedApiKeyUse: "Conjur's login",
  commands: [
    {
      group: 'host-factories',
      name: 'create',
      summary: 'Create a Conjur host factory in an account, with its layers (created if they do not exist).',
      arguments: [ACCOUNT, FACTORY],
      options: {
        layer: { type: 'string', multiple: true, value: 'LAYER', description: 'a layer its hosts join (repeatable)' },
        owner: { type: 'string', value: 'ROLE', description: "its owner, <account name>:user:<name> or <account name>:host:<id> (default: none but the account's admins)" }
      },
      async run (input, context, print) {
        const account = await context.ops.findAccount(input.arg('account'))
        const layers = input.strings('layer').map((layer) => checkConjurId('layer', layer))
        const id = checkConjurId('id', input.arg('id'))
        const factory = await (await operationsOf(context)).create(account, { id, layers, owner: input.string('owner') })
        print.result([`created in ${describeAccount(account)}:`, ...lines(factory)], factory)
      }
    },
    {
      group: 'host-factories',
      name: 'list',
      summary: "List an account's host factories by id, a page at a time.",
      arguments: [ACCOUNT],
      options: {
        limit: { type: 'string', value: 'N', description: `host factories per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.defaultLimit})` },
        after: { type: 'string', value: 'ID', description: 'start after this host factory id (the last id of the previous page)' }
      },
      async run (input, context, print) {
        const account = await context.ops.findAccount(input.arg('account'))
        const limit = parseLimit(input.string('limit'), LIST_LIMIT)
        const page = await (await operationsOf(context)).list(account, { after: input.string('after'), limit })
        print.table(page.items, [
          { header: 'ID', value: (factory) => factory.id },
          { header: 'OWNER', value: (factory) => factory.owner ?? '-' },
          { header: 'LAYERS', value: (factory) => factory.layers.join(',') || '-' }
        ], (factory) => factory, 'no host factories')
        if (page.next) print.note(`more host factories follow: continue with --after ${keyOf(account.name, page.items.at(-1)!)}`)
      }
    },
    {
      group: 'host-factories',
      name: 'show',
      summary: 'Show a host factory: owner, layers and permissions (not its tokens).',
      arguments: [ACCOUNT, FACTORY],
      options: {},
      async run (input, context, print) {
        const account = await context.ops.findAccount(input.arg('account'))
        const factory = await (await operationsOf(context)).get(account, checkConjurId('id', input.arg('id')))
        print.result(lines(factory), factory)
      }
    },
    {
      group: 'host-factories',
      name: 'delete',
      summary: 'Delete a host factory with its tokens and permissions (the hosts it made stay).',
      arguments: [ACCOUNT, FACTORY],
      options: {},
      async run (input, context, print) {
        const account = await context.ops.findAccount(input.arg('account'))
        const id = checkConjurId('id', input.arg('id'))
        await (await operationsOf(context)).remove(account, id)
        print.result(`deleted host factory ${id} of ${describeAccount(account)}`, { accountId: account.id, id })
      }
    },
    {
      group: 'host-factories',
      name: 'grant',
      summary: 'Grant a user or host a privilege on a host factory (granting it again changes nothing).',
      arguments: [ACCOUNT, FACTORY, ROLE, PRIVILEGE],
      options: {},
      async run (input, context, print) {
        const { account, id, change } = await changeFrom(input, context, true)
        print.result(`granted ${change.privilege} on host factory ${id} of ${describeAccount(account)} to ${change.role}`, { accountId: account.id, id, ...change })
      }
    },
    {
      group: 'host-factories',
      name: 'revoke',
      summary: 'Withdraw a privilege on a host factory (nothing changes if it was not held).',
      arguments: [ACCOUNT, FACTORY, ROLE, PRIVILEGE],
      options: {},
      async run (input, context, print) {
        const { account, id, change } = await changeFrom(input, context, false)
        print.result(`revoked ${change.privilege} on host factory ${id} of ${describeAccount(account)} from ${change.role}`, { accountId: account.id, id, ...change })
      }
    },
    {
      group: 'hosts',
      name: 'revoke-credentials',
      summary: "Revoke a Conjur host's API key and access tokens at once, on every replica.",
      arguments: [{ name: 'account', description: 'the account, by id or by name' }, { name: 'host', description: 'the host id, without host/' }],
      options: DRY_RUN,
      async run (input, context, print) {
        const account = await context.ops.findAccount(input.arg('account'))
        const hostId = input.arg('host')
        const dryRun = input.flag('dry-run')
        const revoked = await (await operationsOf(context)).revokeHostCredentials(account, hostId, dryRun)
        print.result(`${dryRun ? 'would revoke' : 'revoked'} the API key and access tokens of host ${hostId} of ${describeAccount(account)}, and ${revoked.hostFactoryTokens} host factory tokens it made`, { dryRun, accountId: account.id, hostId, ...revoked })
      }
    }
  ]
}
