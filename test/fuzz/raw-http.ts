import { connect } from 'node:net'
import type { Reply } from './error-shapes.js'

/**
 * Sends `bytes` as they are over a new TCP connection and parses the one HTTP reply, or returns
 * null if the server closed the connection without one. For what app.inject cannot send:
 * invalid UTF-8, NUL and control characters in the request line and headers, broken framing.
 */
export function sendRaw (port: number, bytes: Buffer, timeoutMs = 2000): Promise<Reply | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ port, host: '127.0.0.1' })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no reply within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    // The server may close while we still write: what matters is the reply it sent first.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseReply(Buffer.concat(chunks)))
    })
    // Not end(): Node's server drops a half-closed connection without answering it. Every
    // request says `Connection: close`, so the server closes once it has replied.
    socket.write(bytes)
  })
}

function dechunk (body: Buffer): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset)
    if (lineEnd < 0) break
    const size = parseInt(body.toString('latin1', offset, lineEnd), 16)
    if (!(size > 0)) break
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/** The first HTTP/1.1 reply in `data`, or null if there is none. */
export function parseReply (data: Buffer): Reply | null {
  const headEnd = data.indexOf('\r\n\r\n')
  if (headEnd < 0) return null
  const [statusLine = '', ...lines] = data.toString('latin1', 0, headEnd).split('\r\n')
  const statusCode = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(statusCode)) return null
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = data.subarray(headEnd + 4)
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body)
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']))
  return { statusCode, headers, body: body.toString('utf8') }
}
