import { isIPv4 } from 'node:net'
import { EXIT, type CliContext, type CliIo, type LoginResult } from '../command.js'
import { AdminClient, RemoteFailure } from './client.js'
import { credentialsPath, forgetSession, readSession, saveSession, serverKey } from './credentials-file.js'
import { remoteOperations } from './remote-operations.js'

/** What a Keystone v2.0 login answers, as far as the CLI reads it. */
interface Access {
  access: { token: { id: string, expires?: string, tenant?: { id: string, name: string } }, user: { name: string } }
}

/** A URL on this machine (localhost, 127.0.0.0/8, ::1): plain http never leaves it. */
function isLoopback (url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'))
}

/**
 * The CLI in remote mode: every command through the admin API of the server at `url`, with
 * TESSERA_TOKEN or the session `tessera login` kept for that URL.
 */
export async function remoteContext (io: CliIo, url: string, env: Record<string, string | undefined>, now = new Date()): Promise<CliContext> {
  if (!/^https?:\/\/[^/]/.test(url)) throw new RemoteFailure(EXIT.usage, `TESSERA_URL (or --url) must be an http:// or https:// URL (got ${JSON.stringify(url)})`)
  if (url.startsWith('http://') && !isLoopback(url)) throw new RemoteFailure(EXIT.usage, `TESSERA_URL (or --url) must use https:// unless the server is on this machine (got ${JSON.stringify(url)}): plain http would send the password and the session token in clear`)
  const base = serverKey(url)
  const path = credentialsPath(env)
  const stored = env.TESSERA_TOKEN ? undefined : await readSession(path, base)
  const token = env.TESSERA_TOKEN || stored?.token
  const expired = stored?.expires != null && new Date(stored.expires) <= now
  const client = expired
    ? new AdminClient(base, undefined, `the session kept for ${base} expired at ${stored!.expires}`)
    : new AdminClient(base, token)
  const context: CliContext = {
    ...io,
    ops: remoteOperations(client),
    session: {
      url: base,
      async login (user, password, account): Promise<LoginResult> {
        const anonymous = new AdminClient(base, undefined)
        const body = { auth: { passwordCredentials: { username: user, password }, ...(account === undefined ? {} : { tenantId: account }) } }
        let answer: Access
        try {
          answer = await anonymous.request('POST', '/v2.0/tokens', { body, anonymous: true }) as Access
        } catch (error) {
          if (error instanceof RemoteFailure && error.exitCode === EXIT.failed) throw new RemoteFailure(EXIT.notLoggedIn, `login to ${base} refused: ${error.message}`)
          throw error
        }
        const { token: issued, user: who } = answer.access
        await saveSession(path, base, { token: issued.id, expires: issued.expires ?? null, user: who.name })
        return { url: base, user: who.name, account: issued.tenant ? { id: issued.tenant.id, name: issued.tenant.name } : null, expires: issued.expires ?? null }
      },
      async logout () {
        const kept = await readSession(path, base)
        if (!kept) return { url: base, revoked: false, forgotten: false }
        let revoked = true
        try {
          await new AdminClient(base, kept.token).request('DELETE', '/v2.0/tokens')
        } catch (error) {
          // A session the server no longer honours needs no revoking: forget it all the same.
          if (!(error instanceof RemoteFailure) || error.exitCode !== EXIT.notLoggedIn) throw error
          revoked = false
        }
        await forgetSession(path, base)
        return { url: base, revoked, forgotten: true }
      }
    }
  }
  return context
}
