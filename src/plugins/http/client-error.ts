import { randomUUID } from 'node:crypto'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HeadersTooLarge, InvalidInput, RequestTimeout, type DomainError } from '../../core/errors.js'
import { NOSNIFF } from './common-headers.js'
import type { ErrorDialects, RenderedError } from '../errors/error-dialect.js'

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

/** The reply Node has in flight on this connection: that of the oldest request not yet answered. */
function pendingResponse (socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage ?? undefined
}

/**
 * Whether the request being read already has its answer (a route refused it before its body
 * came) while its body is still arriving: a 408 now would be a second answer to it.
 */
function answeredWhileReading (socket: Socket): boolean {
  const incoming = (socket as Socket & { parser?: { incoming?: IncomingMessage | null } }).parser?.incoming
  return incoming?.complete === false && pendingResponse(socket) === undefined
}

/**
 * Whether `response` belongs to the request the timeout cut off, and nothing of it was written:
 * only the request whose body is still arriving is incomplete, and it is the one pending only
 * when no earlier request on the connection awaits its reply.
 */
function isTimedOutOwn (error: ParserError, response: ServerResponse): boolean {
  return error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && !response.headersSent && response.req?.complete === false
}

/** The headers of every such answer: the dialect's, this one's id, a closed connection. */
function headersOf (rendered: RenderedError, id: string, body: string): Record<string, string | number> {
  return {
    'content-type': 'application/json; charset=utf-8',
    ...rendered.headers,
    'x-request-id': id,
    ...NOSNIFF,
    'content-length': Buffer.byteLength(body),
    connection: 'close'
  }
}

function bodyOf (rendered: RenderedError): string {
  return rendered.body === undefined ? '' : JSON.stringify(rendered.body)
}

/** Writes a whole HTTP/1.1 answer on a socket no ServerResponse owns, then closes it. */
function writeToSocket (socket: Duplex, method: string, statusCode: number, rendered: RenderedError, id: string): void {
  const body = bodyOf(rendered)
  const headers = { ...headersOf(rendered, id, body), date: new Date().toUTCString() }
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  // A reply to HEAD has the headers of the error, never its body (RFC 9110 §9.3.2).
  const content = method === 'HEAD' ? '' : body
  socket.end(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n${head}\r\n${content}`, () => socket.destroy())
}

/**
 * Answers through the request's own ServerResponse, which then reads as sent to Fastify (still
 * waiting for the body) and keeps the headers its hooks set. Node closes the connection after it.
 */
function writeToResponse (response: ServerResponse, statusCode: number, rendered: RenderedError, id: string): void {
  const body = bodyOf(rendered)
  response.writeHead(statusCode, headersOf(rendered, id, body))
  response.end(body)
}

/** Dialects read only the request's id (response headers, Monitoring's txnId) outside a route. */
function bareRequest (id: string, method: string, url: string): FastifyRequest {
  return { id, method, url, headers: {} } as unknown as FastifyRequest
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refuses (a control character in a
 * header, raw non-ASCII in the URL, headers over the size limit) gets a complete HTTP/1.1 answer
 * in the dialect of the family its URL names, read from the refused bytes (else the root's), and
 * the connection is closed, as the parser cannot go on. So does a request whose headers or body
 * did not arrive within the time allowed (408).
 */
export function answerClientError (dialects: ErrorDialects) {
  return function (this: FastifyInstance, error: ParserError, socket: Socket): void {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    if (error.code === 'HPE_INVALID_EOF_STATE') {
      // The client closed the connection mid-request: it went away, and sent nothing to refuse.
      this.log.debug({ code: error.code }, 'client closed the connection mid-request')
      socket.destroy()
      return
    }
    const domainError = domainErrorOf(error)
    const pending = pendingResponse(socket)
    if (pending && socket.writable && isTimedOutOwn(error, pending)) {
      // The request was routed: its hooks gave its reply an id, which this answer keeps.
      const { method = '', url = '' } = pending.req
      const id = String(pending.getHeader('x-request-id') ?? randomUUID())
      this.log.info({ reqId: id, req: { method, url }, status: domainError.statusCode, error: domainError.name, code: error.code }, 'request refused')
      writeToResponse(pending, domainError.statusCode, dialects.for(url)!.dialect(domainError, bareRequest(id, method, url)), id)
      return
    }
    const [, method = '', url = ''] = REQUEST_LINE.exec(Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 8192) : '') ?? []
    const id = randomUUID()
    this.log.info({ reqId: id, req: { method, url }, status: domainError.statusCode, error: domainError.name, code: error.code }, 'request refused')
    // An earlier request on this connection (pipelined in the same packet) still awaits its
    // reply, or this one has its reply: an answer now would read as that request's, so the
    // connection is closed unanswered.
    if (!socket.writable || pending || answeredWhileReading(socket)) {
      socket.destroy()
      return
    }
    writeToSocket(socket, method, domainError.statusCode, dialects.for(url)!.dialect(domainError, bareRequest(id, method, url)), id)
  }
}

/**
 * The server's 'connect' listener: this is no proxy, so CONNECT is refused with 400 in the
 * dialect of the family its target names (the root's for `host:port`), where Node alone would
 * close the connection without a word.
 */
export function refuseConnect (app: FastifyInstance, dialects: ErrorDialects) {
  return function (request: IncomingMessage, socket: Duplex): void {
    const url = request.url ?? ''
    const id = randomUUID()
    const error = new InvalidInput('This server is not a proxy: CONNECT is not supported.', { reason: 'malformedRequest' })
    app.log.info({ reqId: id, req: { method: 'CONNECT', url }, status: error.statusCode, error: error.name }, 'request refused')
    socket.on('error', () => {})
    if (!socket.writable) {
      socket.destroy()
      return
    }
    writeToSocket(socket, 'CONNECT', error.statusCode, dialects.for(url)!.dialect(error, bareRequest(id, 'CONNECT', url)), id)
  }
}
