/** How commands name what they acted on, in text output. */

export function describeAccount (account: { id: string, name: string }): string {
  return `account ${account.id} (${account.name})`
}

export function describeUser (user: { id: string, name: string }): string {
  return `user ${user.id} (${user.name})`
}
