import { once } from 'node:events'
import type { ExportCounts } from '../../services/transfer/run.js'
import type { ImportSummary, LineFailure } from '../../services/transfer/import.js'
import { UsageError, type TextSink } from '../command.js'
import type { AccountView, CreatedUserView, Operations, UserView } from '../operations.js'
import { fromApiPage as listPage, pageQuery, type ApiPage } from '../pages.js'
import { accountPath, segment, userPath } from './admin-paths.js'
import type { AdminClient } from './client.js'

/** The operations through the admin API of a running server: one admin route each (after a lookup by id or name). */

/** The admin API's user carries their roles on the home account; the CLI's user view does not. */
function userView ({ roles: _roles, ...user }: UserView & { roles?: unknown }): UserView {
  return user
}

async function write (sink: TextSink, text: string): Promise<void> {
  const emitter = sink as TextSink & { once?: unknown }
  if (sink.write(text) === false && typeof emitter.once === 'function') await once(emitter as unknown as NodeJS.EventEmitter, 'drain')
}

/** Counts the export's lines by type as they pass, as the database export does. */
function lineCounter () {
  const counts: ExportCounts = {}
  let partial = ''
  // The header, first, is not counted: the database export counts only what follows it.
  let header = true
  const count = (line: string) => {
    if (line === '') return
    if (header) {
      header = false
      return
    }
    const { type } = JSON.parse(line) as { type: string }
    counts[type] = (counts[type] ?? 0) + 1
  }
  return {
    counts,
    add (text: string) {
      const lines = (partial + text).split('\n')
      partial = lines.pop()!
      lines.forEach(count)
    },
    end () { count(partial) }
  }
}

/** Passes the file on as it is read, counting lines and bytes for the progress line. */
async function * measured (source: AsyncIterable<Buffer | string>, onProgress: (lines: number, bytes: number) => void): AsyncGenerator<Buffer> {
  let lines = 0
  let bytes = 0
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    bytes += buffer.length
    for (const byte of buffer) if (byte === 0x0a) onProgress(++lines, bytes)
    yield buffer
  }
}

export function remoteOperations (client: AdminClient): Operations {
  const get = async <T>(path: string, query?: Record<string, string | number | boolean | undefined>) => await client.request('GET', path, { query }) as T

  return {
    target: client.url,
    findAccount: (idOrName) => get<AccountView>(`/admin/v1/lookup/accounts/${segment(idOrName)}`),
    findUser: async (idOrName) => userView(await get<UserView>(`/admin/v1/lookup/users/${segment(idOrName)}`)),

    async createAccount (input) {
      const account = await client.request('POST', '/admin/v1/accounts', { body: { id: input.id, name: input.name } }) as AccountView
      if (input.enabled) return account
      return await client.request('PATCH', accountPath(account), { body: { enabled: false } }) as AccountView
    },
    listAccounts: async (page) => listPage(await get<ApiPage<AccountView>>('/admin/v1/accounts', pageQuery(page))),
    setAccountEnabled: async (account, enabled) => await client.request('PATCH', accountPath(account), { body: { enabled } }) as AccountView,

    async createUser (account, input) {
      const body = { name: input.name, email: input.email, roles: input.roles, password: input.password, enabled: input.enabled }
      return await client.request('POST', `${accountPath(account)}/users`, { body }) as CreatedUserView
    },
    listUsers: async (accountId, page) => listPage(await get('/admin/v1/users', { account: accountId, ...pageQuery(page) })),
    changeUser: async (user, change) => userView(await client.request('PATCH', userPath(user), { body: change }) as UserView),
    rotateApiKey: async (user) => await client.request('POST', `${userPath(user)}/api-key`) as { apiKey: string, accessor: string },
    async revokeUserCredentials (user, options) {
      const { dryRun: _dryRun, ...revoked } = await client.request('POST', `${userPath(user)}/revoke-credentials`, { query: options }) as Awaited<ReturnType<Operations['revokeUserCredentials']>> & { dryRun: boolean }
      return revoked
    },

    async grantRole (user, account, role) {
      await client.request('PUT', `${accountPath(account)}/users/${segment(user.id)}/roles/${segment(role)}`)
    },
    async revokeRole (user, account, role) {
      await client.request('DELETE', `${accountPath(account)}/users/${segment(user.id)}/roles/${segment(role)}`)
      return true
    },

    async listAuditEvents (account, filters, page) {
      if (account === null) throw new UsageError("'-' (refusals naming no account) works on the database only: through a server they are listed with the administrators' account", 'audit-events list')
      return listPage(await get(`${accountPath(account)}/audit-events`, { ...filters, ...pageQuery(page) }))
    },
    async reportCredentials (account, user, filters, page) {
      const path = user === undefined ? `${accountPath(account)}/credentials` : `${accountPath(account)}/users/${segment(user.id)}/credentials`
      return listPage(await get(path, { ...filters, neverUsed: filters.neverUsed || undefined, ownerDisabled: filters.ownerDisabled || undefined, includeEnded: filters.includeEnded || undefined, ...pageQuery(page) }))
    },

    purgeRetained: async (dryRun) => await client.request('POST', '/admin/v1/retention/purge', { query: { dryRun } }) as Awaited<ReturnType<Operations['purgeRetained']>>,
    async exportTo (sink) {
      const response = await client.send('GET', '/admin/v1/export', { accept: 'application/x-ndjson' })
      const counter = lineCounter()
      const decoder = new TextDecoder()
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true })
        counter.add(text)
        await write(sink, text)
      }
      counter.end()
      return counter.counts
    },
    async importFrom (request) {
      const { failures, summary } = await client.request('POST', '/admin/v1/import', {
        query: { dryRun: request.dryRun, allowAdminAccount: request.allowAdminAccount },
        stream: { contentType: 'application/x-ndjson', data: measured(request.lines, request.onProgress) }
      }) as { failures: LineFailure[], summary: ImportSummary }
      failures.forEach(request.onFailure)
      return summary
    },
    ofFamily: async (cli) => (await cli.remote())(client)
  }
}
