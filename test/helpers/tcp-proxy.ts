import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy between the service and its database, for fault tests:
 * - `cut()` resets every connection and every new one (a crashed link: errors at once);
 * - `blackhole()` keeps every connection open but forwards nothing and drops what it reads,
 *   and accepts new connections that never get an answer (packets dropped, no RST: where hangs hide);
 * - `restore()` forwards new connections again. Connections that lived through a blackhole stay
 *   silent for good, as when the peer vanished: the kernel would keep them for many minutes.
 */
export interface TcpProxy {
  port: number
  /** `url` with its host and port replaced by the proxy's. */
  proxied (url: string): string
  cut (): void
  blackhole (): void
  restore (): void
  /** Connections currently open through the proxy, forwarding or not. */
  readonly connections: number
  close (): Promise<void>
}

type Mode = 'open' | 'cut' | 'blackhole'

interface Pair {
  client: Socket
  server: Socket | undefined
  silenced: boolean
}

function silence (pair: Pair): void {
  pair.silenced = true
  for (const socket of [pair.client, pair.server]) {
    if (!socket) continue
    socket.unpipe()
    socket.removeAllListeners('data')
    // Keep reading so the sender never sees back-pressure, as with packets dropped on the way.
    socket.on('data', () => {})
    socket.resume()
  }
}

export async function startTcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  let mode: Mode = 'open'
  const pairs = new Set<Pair>()

  const server: Server = createServer((client) => {
    const pair: Pair = { client, server: undefined, silenced: false }
    client.on('error', () => {})
    if (mode === 'cut') {
      client.resetAndDestroy()
      return
    }
    pairs.add(pair)
    const forget = () => {
      pairs.delete(pair)
      client.destroy()
      pair.server?.destroy()
    }
    client.on('close', forget)
    if (mode === 'blackhole') {
      silence(pair)
      return
    }
    const upstream = connect(target.port, target.host)
    pair.server = upstream
    upstream.on('error', () => {})
    upstream.on('close', () => { if (!pair.silenced) forget() })
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (!address || typeof address !== 'object') throw new Error('the proxy has no port')

  return {
    port: address.port,
    proxied (url) {
      const parsed = new URL(url)
      parsed.hostname = '127.0.0.1'
      parsed.port = String(address.port)
      return parsed.toString()
    },
    cut () {
      mode = 'cut'
      for (const pair of pairs) {
        pair.client.resetAndDestroy()
        pair.server?.resetAndDestroy()
      }
      pairs.clear()
    },
    blackhole () {
      mode = 'blackhole'
      for (const pair of pairs) silence(pair)
    },
    restore () {
      mode = 'open'
    },
    get connections () {
      return pairs.size
    },
    async close () {
      for (const pair of pairs) {
        pair.client.destroy()
        pair.server?.destroy()
      }
      pairs.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
