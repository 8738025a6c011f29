import { Type, type Static, type TSchema } from 'typebox'
import { errorResponses } from '../../plugins/errors/error-responses.js'
import { RATE_LIMIT, RATE_LIMIT_WINDOW } from './response-headers.js'

/** Request and response shapes of Rackspace Cloud Monitoring v1.0 agent tokens (spec §10). */

const EXAMPLE_TENANT = 'hybrid:000000'
const EXAMPLE_ID = `0190f3c2a1b04e7d${'5f'.repeat(24)}.${EXAMPLE_TENANT}`
const EXAMPLE_ACCESSOR = 'agt_3f9c2b7e1d4a4c0f8e6b5a2d9c1e7f30'

/** A JSON type list (`["string", "null"]`): one schema, no anyOf, so errors and serialisation stay simple. */
function nullable<T> (type: string, options: Record<string, unknown> = {}): TSchema & { '~unsafe': T | null } {
  return Type.Unsafe<T | null>({ type: [type, 'null'], ...options }) as TSchema & { '~unsafe': T | null }
}

const TenantId = Type.String({ minLength: 1, description: 'Tenant (account) id; may contain `:`', examples: ['123456', EXAMPLE_TENANT] })
const TokenId = Type.String({ minLength: 1, description: 'Agent token id: 64 lowercase hex digits, `.`, tenant id', examples: [EXAMPLE_ID] })

export const TenantParamsSchema = Type.Object({ tenantId: TenantId })
export const TokenParamsSchema = Type.Object({ tenantId: TenantId, tokenId: TokenId })

/**
 * Optional audit fields (RAXMON-PY `_who`, `_why`): recorded in the audit trail with the token's sort key.
 * Optional query parameters carry no example: the explorer would fill it in and send it.
 */
const AuditFields = {
  _who: Type.Optional(Type.String({ description: 'Who makes the change (audit trail only), e.g. `jdoe`' })),
  _why: Type.Optional(Type.String({ description: 'Why (audit trail only), e.g. `new monitoring agent`' }))
}
export const AuditQuerySchema = Type.Object(AuditFields)
export type AuditQuery = Static<typeof AuditQuerySchema>

export const ListQuerySchema = Type.Object({
  // Text, not integer: a bad value is 400 `invalidLimit` in Monitoring's words (parseLimit).
  limit: Type.Optional(Type.String({ description: 'Page size, an integer from 1 to 1000 (default 100); anything else is 400 invalidLimit' })),
  marker: Type.Optional(Type.String({
    description: 'Id of the first token of the page (inclusive), from metadata.next_marker. An unknown marker starts at the first id after it.'
  }))
})
export type ListQuery = Static<typeof ListQuerySchema>

/** Create and update bodies. Unknown keys are ignored; an empty body is `{}`. */
export const LabelBodySchema = Type.Object({
  label: Type.Optional(nullable<string>('string', {
    minLength: 1,
    maxLength: 255,
    description: 'Optional label, 1 to 255 characters; null clears it'
  }))
}, { examples: [{ label: 'web01.example.com' }, {}] })
export type LabelBody = Static<typeof LabelBodySchema>

export const AgentTokenSchema = Type.Object({
  id: Type.String({ description: 'The token id; equals `token`', examples: [EXAMPLE_ID] }),
  token: Type.String({ description: 'The value the agent uses as monitoring_token', examples: [EXAMPLE_ID] }),
  label: nullable<string>('string', { description: 'Always present; null when unset', examples: ['web01.example.com'] }),
  accessor: Type.String({ description: 'Tessera\'s non-secret handle of the token (not in Rackspace\'s API): what the admin API, the audit trail and logs name it by', examples: [EXAMPLE_ACCESSOR] })
}, { examples: [{ id: EXAMPLE_ID, token: EXAMPLE_ID, label: 'web01.example.com', accessor: EXAMPLE_ACCESSOR }] })

export const AgentTokenListSchema = Type.Object({
  values: Type.Array(AgentTokenSchema, { description: 'Tokens in id order' }),
  metadata: Type.Object({
    count: Type.Integer({ description: 'Number of tokens in this page' }),
    limit: Type.Integer({ description: 'Effective page size' }),
    marker: nullable<string>('string', { description: 'The request\'s marker, or null' }),
    next_marker: nullable<string>('string', { description: 'Id of the first token of the next page; null on the last page' }),
    next_href: nullable<string>('string', { description: 'Absolute URL of the next page (same tenant and limit); null on the last page' })
  })
}, {
  examples: [{
    values: [{ id: EXAMPLE_ID, token: EXAMPLE_ID, label: 'web01.example.com', accessor: EXAMPLE_ACCESSOR }],
    metadata: { count: 1, limit: 100, marker: null, next_marker: null, next_href: null }
  }]
})

export const MonitoringErrorSchema = Type.Object({
  type: Type.String({ examples: ['notFoundError'], description: 'badRequest, invalidLimit, unauthorizedError, forbiddenError, notFoundError, requestTooLargeError, internalError or systemFailureError' }),
  code: Type.Integer({ examples: [404], description: 'The HTTP status' }),
  message: Type.String({ examples: ['Object does not exist'] }),
  details: Type.String({ examples: ['Object "AgentToken" with key "0190f3c2a1b04e7d…" does not exist'] }),
  txnId: Type.String({ description: 'Transaction id; also sent as X-Response-Id' })
}, { description: 'Rackspace Cloud Monitoring error body' })

/**
 * Headers of every reply (spec §10.2). The rate-limit ones are the per-client request limit's
 * figures, or Monitoring's own 50000 per 24 hours (Remaining = Limit) when it is off.
 */
const COMMON_HEADERS = {
  'X-Response-Id': Type.String({ description: 'Transaction id, as in error bodies\' txnId' }),
  'X-RateLimit-Limit': Type.Integer({ description: 'Requests allowed per window to this client (RATE_LIMIT_MAX; 50000 when unlimited)', examples: [RATE_LIMIT] }),
  'X-RateLimit-Remaining': Type.Integer({ description: 'Requests left in the current window (equals X-RateLimit-Limit when unlimited)', examples: [RATE_LIMIT] }),
  'X-RateLimit-Window': Type.String({ examples: [RATE_LIMIT_WINDOW] }),
  'X-RateLimit-Type': Type.String({ examples: ['global'] })
}

const LOCATION_HEADERS = {
  ...COMMON_HEADERS,
  Location: Type.String({ description: 'Absolute URL of the token; its path is exactly /v1.0/{tenantId}/agent_tokens/{tokenId}' }),
  'X-Object-ID': Type.String({ description: 'The token id' }),
  'Tessera-Credential-Accessor': Type.String({ description: 'The token\'s non-secret handle (Tessera\'s, not Rackspace\'s)', examples: [EXAMPLE_ACCESSOR] })
}

/** A reply schema with the headers OpenAPI should document for it. */
function withHeaders<T extends TSchema> (schema: T, headers: Record<string, TSchema>): T {
  return { ...schema, headers }
}

export const CreatedReplySchema = withHeaders(Type.Null({ description: 'Created; no body (Content-Type: text/plain, Content-Length: 0). The new token is in X-Object-ID and Location.' }), LOCATION_HEADERS)
export const UpdatedReplySchema = withHeaders(Type.Null({ description: 'Updated; no body (Content-Type: text/plain, Content-Length: 0).' }), LOCATION_HEADERS)
export const DeletedReplySchema = withHeaders(Type.Null({ description: 'Deleted; no body (Content-Type: text/plain, Content-Length: 0).' }), COMMON_HEADERS)
export const ListReplySchema = withHeaders(AgentTokenListSchema, COMMON_HEADERS)
export const TokenReplySchema = withHeaders(AgentTokenSchema, COMMON_HEADERS)

const TXN_EXAMPLE = '.rh-k2x9.h-api1.r-0b6f5c1e-3d0e-4a51-9d0a-2f4c8e7a1b22.c-42.ts-1764000000000.v-0.1.0'
const ERROR_EXAMPLES: Record<number, [description: string, type: string, message: string, details: string]> = {
  400: ['Bad input: badRequest (body, label), or invalidLimit (limit outside 1..1000)', 'badRequest', 'Validation error for key \'label\'', 'label must NOT have more than 255 characters'],
  401: ['Missing, invalid or expired X-Auth-Token (the only 401: clients re-authenticate on it)', 'unauthorizedError', 'Unauthorized', 'A valid X-Auth-Token is required.'],
  403: ['The token is not scoped to this tenant with the admin role', 'forbiddenError', 'Forbidden', 'The token does not grant the admin role on this tenant.'],
  404: ['No such agent token in this tenant', 'notFoundError', 'Object does not exist', 'Object "AgentToken" with key "0190f3c2a1b04e7d…" does not exist'],
  413: ['The body exceeds 64 KiB', 'requestTooLargeError', 'Request too large', 'The request body must not exceed 65536 bytes.'],
  429: ['Too many requests from this client (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW) or too many failed credentials, with Retry-After and the limit in X-RateLimit-*', 'rateLimitReached', 'Rate limit reached', 'Too many requests; retry later.'],
  500: ['Unexpected failure; the cause is logged under the txnId', 'internalError', 'Internal error', 'An unexpected error prevented the server from fulfilling the request.'],
  503: ['The database is unavailable (with Retry-After)', 'systemFailureError', 'Service unavailable', 'The database is unavailable; try again shortly.']
}

/** The Monitoring error body of one status, documented with an example and the headers. */
function errorReply (code: number): TSchema {
  const [description, type, message, details] = ERROR_EXAMPLES[code]!
  const schema = Type.Object(MonitoringErrorSchema.properties, { description, examples: [{ type, code, message, details, txnId: TXN_EXAMPLE }] })
  return withHeaders(schema, COMMON_HEADERS)
}

/** Error replies, each documented with the Monitoring body, an example and the headers. */
export function errorReplies (...codes: number[]): Record<number, TSchema> {
  return errorResponses(errorReply, ...codes)
}
