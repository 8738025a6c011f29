import pg from 'pg'

/** One server of a libpq-style host list. */
export interface HostPort {
  host: string
  port: number
}

/** A PostgreSQL URL read the libpq way: `postgres://u@h1:p1,h2:p2/db?target_session_attrs=read-write`. */
export interface HostList {
  hosts: readonly HostPort[]
  /** target_session_attrs=read-write (or primary): a server in recovery (a standby) is refused. */
  readWrite: boolean
  /** The URL naming one of the hosts, without target_session_attrs: what node-postgres understands. */
  urlFor (host: HostPort): string
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(?:\?([^#]*))?$/
const DEFAULT_PORT = 5432
const READ_WRITE = new Set(['read-write', 'primary'])

function parseHost (text: string, defaultPort: number): HostPort {
  const match = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(text)
  if (!match) throw new Error(`cannot read the host ${JSON.stringify(text)}`)
  return { host: match[1] || 'localhost', port: match[2] === undefined ? defaultPort : Number(match[2]) }
}

/**
 * node-postgres takes one host per URL and ignores target_session_attrs (pg-connection-string
 * reads `h1:p1,h2:p2` as a single malformed host): the list is read here, and each connection is
 * made to one host of it (hostListClient).
 */
export function parseHostList (url: string): HostList {
  const match = URL_PARTS.exec(url)
  if (!match) throw new Error('is not a postgres:// URL')
  const [, scheme, userinfo, hostText = '', path = '', query = ''] = match
  const params = new URLSearchParams(query)
  const attrs = params.get('target_session_attrs') ?? 'any'
  if (attrs !== 'any' && !READ_WRITE.has(attrs)) throw new Error(`has target_session_attrs=${attrs}: only any, read-write and primary are supported`)
  params.delete('target_session_attrs')
  const defaultPort = params.has('port') ? Number(params.get('port')) : DEFAULT_PORT
  const hosts = hostText === '' ? [{ host: 'localhost', port: defaultPort }] : hostText.split(',').map((each) => parseHost(each, defaultPort))
  const rest = params.toString()
  // One host and nothing node-postgres would misread: the URL as given (socket paths, query hosts and all).
  const asGiven = hosts.length === 1 && !new URLSearchParams(query).has('target_session_attrs')
  return {
    hosts,
    readWrite: READ_WRITE.has(attrs),
    urlFor: ({ host, port }) => asGiven ? url : `${scheme}${userinfo === undefined ? '' : `${userinfo}@`}${host}:${port}${path}${rest === '' ? '' : `?${rest}`}`
  }
}

/** Marks a failure to open a connection to one host of a list, which the next host may not share. */
export const HOST_FAILED = Symbol('tessera.hostFailed')

export function hostFailed (error: unknown): boolean {
  return typeof error === 'object' && error !== null && HOST_FAILED in error
}

/**
 * A pg.Client class connecting to the hosts of `list` in turn: each new client goes to the host
 * that answered last; one that cannot be reached, or is a standby where read-write is asked,
 * fails this connection (marked HOST_FAILED) and sends the next one to the following host. After
 * a failover the pool's connections to the old primary error and are dropped; new ones find the
 * promoted server without a restart.
 */
export function hostListClient (list: HostList, Base: typeof pg.Client = pg.Client): typeof pg.Client {
  let preferred = 0
  const skip = (index: number) => { if (preferred === index) preferred = (index + 1) % list.hosts.length }
  const failed = (error: unknown) => Object.assign(error instanceof Error ? error : new Error(String(error)), { [HOST_FAILED]: true })

  return class HostListClient extends Base {
    readonly #index: number

    constructor (config?: string | pg.ClientConfig) {
      const index = preferred
      const options = typeof config === 'string' ? {} : config ?? {}
      super({ ...options, connectionString: list.urlFor(list.hosts[index]!) })
      this.#index = index
      // A server may end the connection (a terminated backend, a failover) while no query and no
      // pool listener is there to hear it: unheard, the client's 'error' event would end the
      // process. The query in flight, if any, fails with the cause; the pool drops the client.
      this.on('error', () => {})
    }

    override connect (callback?: (...args: any[]) => void): any {
      const connected = this.#connectToWritable()
      if (!callback) return connected
      connected.then(() => callback(null, this), callback)
      return undefined
    }

    async #connectToWritable (): Promise<this> {
      try {
        await super.connect()
      } catch (error) {
        skip(this.#index)
        throw failed(error)
      }
      if (list.readWrite) {
        let standby: boolean
        try {
          standby = (await super.query('select pg_is_in_recovery() as standby')).rows[0]?.standby === true
        } catch (error) {
          skip(this.#index)
          throw failed(error)
        }
        if (standby) {
          skip(this.#index)
          await this.end().catch(() => {})
          const { host, port } = list.hosts[this.#index]!
          throw failed(new Error(`${host}:${port} is a standby (in recovery), and target_session_attrs asks for read-write`))
        }
      }
      preferred = this.#index
      return this
    }
  }
}

/**
 * pool.connect, tried once per host: a connection refused by one host (HOST_FAILED) is asked of
 * the next before the request is failed.
 */
export function connectTryingEachHost (pool: pg.Pool, hosts: number): () => Promise<pg.PoolClient> {
  return async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pool.connect()
      } catch (error) {
        if (attempt >= hosts || !hostFailed(error)) throw error
      }
    }
  }
}
