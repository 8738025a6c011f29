import type { AccountView, UserView } from '../operations.js'

/** Where the admin API keeps what the commands act on. */

export const segment = encodeURIComponent

export const accountPath = (account: Pick<AccountView, 'id'>) => `/admin/v1/accounts/${segment(account.id)}`

export const userPath = (user: Pick<UserView, 'id' | 'accountId'>) => `/admin/v1/accounts/${segment(user.accountId)}/users/${segment(user.id)}`
