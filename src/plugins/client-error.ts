import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HeadersTooLarge, InvalidInput, RequestTimeout, type DomainError } from '../core/errors.js'
import { NOSNIFF } from './common-headers.js'
import type { ErrorDialects } from './error-dialect.js'

/** What Node's HTTP parser attaches to the errors it raises. */
interface ParserError extends Error {
  code?: string
  reason?: string
  /** The bytes being parsed when it failed (a Buffer); they may hold credentials, so they are never logged. */
  rawPacket?: unknown
}

/** The request line's method and target, when the refused bytes begin with one. */
const REQUEST_LINE = /^(?:\r\n)*([A-Z]+) ([^ \r\n]+)/

function domainErrorOf (error: ParserError): DomainError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLarge()
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeout()
  return new InvalidInput(`The request is not valid HTTP (${error.reason ?? error.code ?? error.message}).`, { reason: 'malformedRequest' })
}

/**
 * An earlier request on this connection (pipelined in the same packet) still awaits its reply:
 * an answer now would read as that request's, so the connection is closed unanswered.
 */
function replyPending (socket: Socket): boolean {
  return Boolean((socket as Socket & { _httpMessage?: unknown })._httpMessage)
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refuses (a control character in a
 * header, raw non-ASCII in the URL, headers over the size limit) gets a complete HTTP/1.1 answer
 * in the dialect of the family its URL names, read from the refused bytes (else the root's), and
 * the connection is closed, as the parser cannot go on.
 */
export function answerClientError (dialects: ErrorDialects) {
  return function (this: FastifyInstance, error: ParserError, socket: Socket): void {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const [, method = '', url = ''] = REQUEST_LINE.exec(Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 8192) : '') ?? []
    const domainError = domainErrorOf(error)
    const id = randomUUID()
    this.log.info({ reqId: id, req: { method, url }, status: domainError.statusCode, error: domainError.name, code: error.code }, 'request refused')
    if (!socket.writable || replyPending(socket)) {
      socket.destroy()
      return
    }
    // Dialects read only the request's id (response headers, Monitoring's txnId) outside a route.
    const request = { id, method, url, headers: {} } as unknown as FastifyRequest
    const rendered = dialects.for(url)!.dialect(domainError, request)
    const body = rendered.body === undefined ? '' : JSON.stringify(rendered.body)
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      ...rendered.headers,
      'x-request-id': id,
      ...NOSNIFF,
      date: new Date().toUTCString(),
      'content-length': Buffer.byteLength(body),
      connection: 'close'
    }
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    // A reply to HEAD has the headers of the error, never its body (RFC 9110 §9.3.2).
    const content = method === 'HEAD' ? '' : body
    socket.end(`HTTP/1.1 ${domainError.statusCode} ${STATUS_CODES[domainError.statusCode]}\r\n${head}\r\n${content}`, () => socket.destroy())
  }
}
