import { FAMILIES } from '../../src/families/index.js'

/** What the fuzzer needs of a reply, whether app.inject or a raw socket produced it. */
export interface Reply {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}

/** Returns what is wrong with an error reply's shape, or null if it is the family's documented one. */
type ShapeCheck = (reply: Reply, method: string) => string | null

function json (reply: Reply): any {
  try {
    return JSON.parse(reply.body)
  } catch {
    return undefined
  }
}

const contentType = (reply: Reply) => String(reply.headers['content-type'] ?? '')
const isString = (value: unknown) => typeof value === 'string'
const hasKeys = (value: unknown, keys: string[]) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && keys.every((key) => key in value)

/** HEAD replies carry the headers of the error but never a body. */
function headOrBody (check: ShapeCheck): ShapeCheck {
  return (reply, method) => method === 'HEAD' ? (reply.body === '' ? null : 'HEAD reply has a body') : check(reply, method)
}

/** Keystone: {"error": {"message", "code", "title"}}, code equal to the status (spec §0.2). */
const keystone: ShapeCheck = (reply) => {
  const error = json(reply)?.error
  if (!/^application\/json/.test(contentType(reply))) return `content-type ${contentType(reply)}`
  if (!hasKeys(error, ['message', 'code', 'title']) || Object.keys(error).length !== 3) return 'not {error: {message, code, title}}'
  if (error.code !== reply.statusCode || !isString(error.message) || !isString(error.title)) return 'error.code differs from the status'
  return null
}

/** Rackspace Monitoring: flat {type, code, message, details, txnId}, integer code (spec §10.3). */
const monitoring: ShapeCheck = (reply) => {
  const body = json(reply)
  if (!/^application\/json/.test(contentType(reply))) return `content-type ${contentType(reply)}`
  if (!hasKeys(body, ['type', 'code', 'message', 'details', 'txnId']) || Object.keys(body).length !== 5) return 'not {type, code, message, details, txnId}'
  if (body.code !== reply.statusCode || ![body.type, body.message, body.details, body.txnId].every(isString)) return 'wrong field types'
  if (body.txnId !== reply.headers['x-response-id']) return 'txnId differs from X-Response-Id'
  return null
}

/** Astra: RFC 7807 problem details with the status as a string and a correlation id (spec §B1). */
const astra: ShapeCheck = (reply) => {
  const body = json(reply)
  if (!/^application\/problem\+json/.test(contentType(reply))) return `content-type ${contentType(reply)}`
  if (!hasKeys(body, ['type', 'title', 'detail', 'status', 'correlationID'])) return 'not a problem details body'
  if (body.status !== String(reply.statusCode)) return 'status differs'
  if (!/^(about:blank|https:\/\/astra\.netapp\.io\/problems\/\d+)$/.test(body.type)) return `type ${body.type}`
  if (body.correlationID !== reply.headers['x-correlation-id']) return 'correlationID differs from X-Correlation-ID'
  return null
}

/**
 * Conjur (spec §A0.3): empty 400/401/403, text/plain middleware refusals, {"error": {code, message}}
 * for 404/409/422/503, or the v2 {code, message} under its media type.
 */
const conjur: ShapeCheck = (reply) => {
  if (reply.body === '') return [400, 401, 403, 404, 405, 408, 411, 413, 414, 431].includes(reply.statusCode) ? null : `empty ${reply.statusCode}`
  if (/^text\/plain/.test(contentType(reply))) return null
  const body = json(reply)
  if (/^application\/x\.secretsmgr\.v2beta\+json/.test(contentType(reply))) {
    return hasKeys(body, ['code', 'message']) && body.code === String(reply.statusCode) ? null : 'not a v2 {code, message}'
  }
  if (!/^application\/json/.test(contentType(reply))) return `content-type ${contentType(reply)}`
  const error = body?.error
  if (!hasKeys(error, ['code', 'message']) || !isString(error.code) || !isString(error.message)) return 'not {error: {code, message}}'
  return null
}

/** Tessera's own routes: {statusCode, code, message}, like Fastify's. */
const tessera: ShapeCheck = (reply) => {
  const body = json(reply)
  if (!/^application\/json/.test(contentType(reply))) return `content-type ${contentType(reply)}`
  if (!hasKeys(body, ['statusCode', 'code', 'message']) || Object.keys(body).length !== 3) return 'not {statusCode, code, message}'
  if (body.statusCode !== reply.statusCode || !/^TESSERA_[A-Z_]+$/.test(body.code) || !isString(body.message)) return 'wrong fields'
  return null
}

const CHECKS: Record<string, ShapeCheck> = { keystone, 'agent-tokens': monitoring, astra, conjur, admin: tessera }

/** Each family's prefixes, longest first, as the app's ErrorDialects matches them. */
const OWNERS = FAMILIES.flatMap((family) => family.prefixes.map((prefix) => ({ prefix, family: family.name })))
  .sort((a, b) => b.prefix.length - a.prefix.length)

/** The family whose dialect answers errors for this URL; 'admin' (Tessera's own) for the rest. */
export function familyOf (url: string): string {
  const path = url.split('?')[0]!.replace(/\/{2,}/g, '/')
  return OWNERS.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`))?.family ?? 'admin'
}

/** Null when the error reply is in its family's documented shape, else what is wrong. */
export function errorShapeProblem (family: string, reply: Reply, method: string): string | null {
  const check = CHECKS[family]
  if (!check) return `no checker for family ${family}`
  return headOrBody(check)(reply, method)
}
