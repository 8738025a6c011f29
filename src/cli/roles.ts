import { NotFound } from '../core/errors.js'
import type { CliContext, CommandInput, CommandSpec } from './command.js'
import { checkIdentifier } from './validate.js'
import { describeAccount, describeUser } from './views.js'

const ARGUMENTS = [
  { name: 'user', description: 'the user, by id or by name' },
  { name: 'account', description: 'the account the role applies to, by id or by name' },
  { name: 'role', description: "the role name, e.g. admin: 1 to 64 letters, digits, '.', '_', ':' or '-'" }
]

async function resolveGrant (input: CommandInput, { ops }: CliContext) {
  const role = checkIdentifier('role', input.arg('role'))
  const user = await ops.findUser(input.arg('user'))
  const account = await ops.findAccount(input.arg('account'))
  return { user, account, role, view: { userId: user.id, accountId: account.id, role } }
}

export const roleCommands: CommandSpec[] = [
  {
    group: 'roles',
    name: 'grant',
    summary: 'Grant a user a role on an account (granting a role already held changes nothing).',
    arguments: ARGUMENTS,
    options: {},
    async run (input, context, print) {
      const { user, account, role, view } = await resolveGrant(input, context)
      await context.ops.grantRole(user, account, role)
      print.result(`granted role ${role} on ${describeAccount(account)} to ${describeUser(user)}`, view)
    }
  },
  {
    group: 'roles',
    name: 'revoke',
    summary: "Revoke a user's role on an account, and end their sessions on that account that carry it.",
    arguments: ARGUMENTS,
    options: {},
    async run (input, context, print) {
      const { user, account, role, view } = await resolveGrant(input, context)
      if (!await context.ops.revokeRole(user, account, role)) {
        throw new NotFound(`${describeUser(user)} does not hold role ${role} on ${describeAccount(account)}`, { type: 'RoleAssignment', key: role })
      }
      print.result(`revoked role ${role} on ${describeAccount(account)} from ${describeUser(user)}`, view)
    }
  }
]
