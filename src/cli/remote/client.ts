import { EXIT } from '../command.js'

/** An answer of the server that ends the command: its exit code and one line for the operator. */
export class RemoteFailure extends Error {
  readonly exitCode: number
  constructor (exitCode: number, message: string) {
    super(message)
    this.name = 'RemoteFailure'
    this.exitCode = exitCode
  }
}

export function notLoggedIn (url: string, why: string): RemoteFailure {
  return new RemoteFailure(EXIT.notLoggedIn, `${why}: run tessera login --url ${url} (or set TESSERA_TOKEN)`)
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** A body sent as it is (a stream of JSON lines), with this content type. */
  stream?: { contentType: string, data: AsyncIterable<Buffer | string> }
  accept?: string
  /** Without a session token (logging in). */
  anonymous?: boolean
}

/** The text of an error body: the admin API's `message`, Keystone's `error.message`, or the status. */
function messageOf (status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown, error?: { message?: unknown } }
    const message = body.message ?? body.error?.message
    if (typeof message === 'string' && message !== '') return message
  } catch {}
  return `HTTP ${status}`
}

function causeOf (error: unknown): string {
  const cause = (error as { cause?: { code?: string, message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message
}

/**
 * The admin API of one server, with a session token. Every refusal becomes a RemoteFailure
 * with the exit code the local commands use for the same outcome; the token is never in one.
 */
export class AdminClient {
  readonly url: string
  readonly #token: string | undefined
  /** Why there is no token, when there is none. */
  readonly #noToken: string

  constructor (url: string, token: string | undefined, noToken?: string) {
    this.url = url.replace(/\/+$/, '')
    this.#token = token
    this.#noToken = noToken ?? `not logged in to ${this.url}`
  }

  /** The answer's body (JSON parsed, else its text); undefined for 204. */
  async request (method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const response = await this.send(method, path, options)
    if (response.status === 204) return undefined
    const type = response.headers.get('content-type') ?? ''
    return type.includes('json') ? response.json() : response.text()
  }

  /** The raw answer of a request that succeeded, for a streamed body. */
  async send (method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (!options.anonymous && this.#token === undefined) throw notLoggedIn(this.url, this.#noToken)
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.append(name, String(value))
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' }
    if (!options.anonymous) headers['x-auth-token'] = this.#token!
    let body: RequestInit['body']
    if (options.stream) {
      headers['content-type'] = options.stream.contentType
      body = ReadableStream.from(options.stream.data) as unknown as RequestInit['body']
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const target = `${this.url}${path}${query.size > 0 ? `?${query}` : ''}`
    let response: Response
    try {
      // Never followed: a redirect would carry the token (X-Auth-Token) or a login's password elsewhere.
      response = await fetch(target, { method, headers, body, redirect: 'manual', ...(options.stream ? { duplex: 'half' } : {}) } as RequestInit)
    } catch (error) {
      throw new RemoteFailure(EXIT.environment, `server unreachable at ${this.url}: ${causeOf(error)}`)
    }
    if (response.ok) return response
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      const location = response.headers.get('location') ?? '(no Location)'
      throw new RemoteFailure(EXIT.environment, `the server at ${this.url} answered ${response.status} redirecting to ${location}: redirects are not followed, set TESSERA_URL (or --url) to the server's own URL`)
    }
    const message = messageOf(response.status, await response.text())
    if (response.status === 401 && !options.anonymous) throw notLoggedIn(this.url, `the server at ${this.url} refused the session token (expired or revoked)`)
    if (response.status >= 500) throw new RemoteFailure(EXIT.environment, `server error at ${this.url}: ${message}`)
    if (response.status === 429) throw new RemoteFailure(EXIT.environment, `the server at ${this.url} is busy: ${message}`)
    throw new RemoteFailure(EXIT.failed, message)
  }
}
