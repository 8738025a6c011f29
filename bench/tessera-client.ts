/** The HTTP calls `npm run bench` seeds with: the same a user of Tessera would make. */

export interface Reply {
  status: number
  headers: Headers
  text: string
}

export async function call (base: string, path: string, options: { method?: string, headers?: Record<string, string>, json?: unknown, body?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  let body = options.body
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  }
  const response = await fetch(`${base}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** `call`, failing unless the status is `expected`; the parsed JSON body when there is one. */
export async function expectCall (expected: number, base: string, path: string, options: Parameters<typeof call>[2] = {}): Promise<Reply & { json: () => any }> {
  const reply = await call(base, path, options)
  if (reply.status !== expected) throw new Error(`${options.method ?? 'GET'} ${path}: ${reply.status}, not ${expected}: ${reply.text.slice(0, 300)}`)
  return { ...reply, json: () => JSON.parse(reply.text) }
}

export async function keystoneLogin (base: string, auth: Record<string, unknown>): Promise<string> {
  return (await expectCall(200, base, '/v2.0/tokens', { json: { auth } })).json().access.token.id
}

export interface Tenant {
  accountId: string
  accountName: string
  user: { id: string, name: string, password: string, apiKey: string }
  /** A session of the user scoped to the account, where they hold `admin`. */
  token: string
}

/** An account and a user holding `admin` on it, through the admin API. */
export async function createTenant (base: string, adminToken: string, name: string): Promise<Tenant> {
  const headers = { 'x-auth-token': adminToken }
  const account = (await expectCall(201, base, '/admin/v1/accounts', { headers, json: { name } })).json()
  const password = 'bench password 1234'
  const user = (await expectCall(201, base, `/admin/v1/accounts/${account.id}/users`, { headers, json: { name: `${name}-admin`, password, roles: ['admin'] } })).json()
  const token = await keystoneLogin(base, { passwordCredentials: { username: user.name, password }, tenantId: account.id })
  return { accountId: account.id, accountName: name, user: { id: user.id, name: user.name, password, apiKey: user.apiKey }, token }
}

/** A Conjur access token of `login`, base64 as `Authorization: Token token="…"` carries it. */
export async function conjurToken (base: string, accountName: string, login: string, apiKey: string): Promise<string> {
  return (await expectCall(200, base, `/authn/${encodeURIComponent(accountName)}/${encodeURIComponent(login)}/authenticate`, {
    headers: { 'accept-encoding': 'base64', 'content-type': 'text/plain' }, body: apiKey
  })).text
}
