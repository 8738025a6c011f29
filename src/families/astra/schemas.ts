import { Type, type Static, type TSchema } from 'typebox'
import { errorResponses } from '../../plugins/errors/error-responses.js'
import { PROBLEMS, problemType, type ProblemNumber } from './dialect.js'
import { COLLECTION_TYPE, RESOURCE_TYPE, RESOURCE_VERSION } from './resource.js'

/** Request and response shapes of NetApp Astra Control user tokens (spec §B2–§B6, Astra's token_1.0 schemas). */

const EXAMPLE_ACCOUNT = '5a3e8f0c-2b7d-4c1e-9f6a-0d4b2c8e7a15'
const EXAMPLE_USER = '09f8933c-ad74-4f4e-8ef5-1ffaa0fb8e9b'
const EXAMPLE_CREATOR = '8f84cf09-8036-41e4-b579-bd30cb07b269'
const EXAMPLE_TOKEN_ID = '822fab12-c224-4d1f-8118-5fb5d2def8b9'
const EXAMPLE_TIME = '2026-10-06T20:58:16.305Z'
const EXAMPLE_CORRELATION = '2c1f4c9e-7a4b-4e0f-9d3a-6b8e5f2a1c7d'

/** type_astra_identifier: a lowercase UUID v4 or v5, or the nil UUID. */
export const IDENTIFIER_PATTERN = '^([0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000)$'
/** type_astra_time: UTC with `Z`, optional fraction. */
export const TIME_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$'

const Identifier = (description: string, example: string) => Type.String({ pattern: IDENTIFIER_PATTERN, description, examples: [example] })
const Time = (description: string) => Type.String({ pattern: TIME_PATTERN, description, examples: [EXAMPLE_TIME] })
const ResourceType = Type.Literal(RESOURCE_TYPE, { description: 'Media type of the resource' })
const ResourceVersion = Type.Literal(RESOURCE_VERSION, { description: 'Version of the resource; 1.0 is the only one' })
const Name = Type.String({
  minLength: 1,
  maxLength: 63,
  description: 'Token name, 1 to 63 characters, without `<`, `>`, control characters or `../` / `..\\` (problem 9)',
  examples: ['Snapshot Script']
})

const LabelSchema = Type.Object({ name: Type.String(), value: Type.String() }, { additionalProperties: false })
const Labels = Type.Array(LabelSchema, { uniqueItems: true, description: 'Unique {name, value} pairs', examples: [[{ name: 'team', value: 'storage' }]] })

export const MetadataUpdateSchema = Type.Object({
  labels: Type.Optional(Labels),
  creationTimestamp: Type.Optional(Time('Server-owned: must equal the stored value (else problem 10)')),
  modificationTimestamp: Type.Optional(Time('Server-owned: ignored on PUT, a conflict on POST')),
  createdBy: Type.Optional(Identifier('Server-owned: must equal the creator (else problem 10)', EXAMPLE_CREATOR)),
  modifiedBy: Type.Optional(Identifier('Server-owned: ignored on PUT, a conflict on POST', EXAMPLE_CREATOR))
}, { additionalProperties: false, description: 'Client-supplied metadata: the labels; the rest is the server\'s' })
export type MetadataUpdate = Static<typeof MetadataUpdateSchema>

const Metadata = Type.Object({
  labels: Labels,
  creationTimestamp: Time('When the token was created (UTC)'),
  modificationTimestamp: Time('When it last changed; equals creationTimestamp until the first PUT'),
  createdBy: Identifier('The user who created the token', EXAMPLE_CREATOR),
  modifiedBy: Type.Optional(Identifier('The user who last changed it (after a PUT)', EXAMPLE_CREATOR))
}, { additionalProperties: false })

export const NewTokenSchema = Type.Object({
  type: ResourceType,
  version: ResourceVersion,
  name: Name,
  metadata: Type.Optional(MetadataUpdateSchema)
}, {
  additionalProperties: false,
  description: 'token_1.0_post_request_body, as application/astra-token+json or application/json',
  examples: [{ type: RESOURCE_TYPE, version: RESOURCE_VERSION, name: 'Snapshot Script' }]
})
export type NewToken = Static<typeof NewTokenSchema>

export const TokenReplacementSchema = Type.Object({
  type: ResourceType,
  version: ResourceVersion,
  id: Type.Optional(Identifier('Server-owned: must equal the token\'s id (else problem 10)', EXAMPLE_TOKEN_ID)),
  name: Type.Optional(Name),
  userID: Type.Optional(Identifier('Server-owned: must equal the token\'s user (else problem 10)', EXAMPLE_USER)),
  metadata: Type.Optional(MetadataUpdateSchema)
}, {
  additionalProperties: false,
  description: 'token_1.0_put_request_body. Without `name` the name stays; without `metadata` the labels stay.',
  examples: [{ type: RESOURCE_TYPE, version: RESOURCE_VERSION, name: 'New Token Name' }]
})
export type TokenReplacement = Static<typeof TokenReplacementSchema>

const exampleMetadata = { labels: [], creationTimestamp: EXAMPLE_TIME, modificationTimestamp: EXAMPLE_TIME, createdBy: EXAMPLE_CREATOR }
const exampleToken = { type: RESOURCE_TYPE, version: RESOURCE_VERSION, id: EXAMPLE_TOKEN_ID, name: 'Snapshot Script', userID: EXAMPLE_USER, metadata: exampleMetadata }

/** Property order is the order of the JSON the ETag is computed over (resource.ts). */
const tokenProperties = {
  type: ResourceType,
  version: ResourceVersion,
  id: Identifier('The token\'s id', EXAMPLE_TOKEN_ID),
  name: Name,
  userID: Identifier('The user the token acts as', EXAMPLE_USER),
  metadata: Metadata
}

export const TokenSchema = Type.Object(tokenProperties, {
  additionalProperties: false,
  description: 'token_1.0_get_response_body: never the secret',
  examples: [exampleToken]
})

export const CreatedTokenSchema = Type.Object({
  ...tokenProperties,
  token: Type.String({ description: 'The bearer secret: base64 of 32 random bytes. Shown only here, never again.', examples: ['NL1bSP5712pFCUvoBUOi2JX4xUKVVtHpW6fJMo0bRa8='] })
}, {
  additionalProperties: false,
  description: 'token_1.0_post_response_body',
  examples: [{ ...exampleToken, token: 'NL1bSP5712pFCUvoBUOi2JX4xUKVVtHpW6fJMo0bRa8=' }]
})

export const TokenListSchema = Type.Object({
  type: Type.Literal(COLLECTION_TYPE),
  version: ResourceVersion,
  items: Type.Array(Type.Union([TokenSchema, Type.Array(Type.Unknown())]), { description: 'Tokens; with `include`, each an array of the requested fields in that order' }),
  metadata: Type.Object({
    labels: Labels,
    continue: Type.Optional(Type.String({ description: 'Pass as `continue` for the next page; absent on the last page' })),
    count: Type.Optional(Type.Integer({ description: 'With count=true: how many tokens match the filter, on all pages' }))
  }, { additionalProperties: false })
}, {
  description: 'token_1.0_list_response_body',
  examples: [{
    type: COLLECTION_TYPE,
    version: RESOURCE_VERSION,
    items: [[EXAMPLE_TOKEN_ID, 'Snapshot Script']],
    metadata: { labels: [], count: 1 }
  }]
})

export const CollectionParamsSchema = Type.Object({
  account_id: Type.String({ description: 'Account id: a lowercase UUID (anything else is problem 2)', examples: [EXAMPLE_ACCOUNT] }),
  user_id: Type.String({ description: 'User id: a lowercase UUID v4 (anything else is problem 2)', examples: [EXAMPLE_USER] })
})
export const TokenParamsSchema = Type.Object({
  ...CollectionParamsSchema.properties,
  token_id: Type.String({ description: 'Token id: a lowercase UUID v4', examples: [EXAMPLE_TOKEN_ID] })
})
export type CollectionParams = Static<typeof CollectionParamsSchema>
export type TokenParams = Static<typeof TokenParamsSchema>

/** No example: the explorer would fill it in and send it. */
const text = (description: string) => Type.Optional(Type.String({ description }))
/** Kept as text: each is checked against its §B3 pattern, in Astra's words (problem 5). */
export const ListQuerySchema = Type.Object({
  include: text('Fields to return, comma-separated (type, version, id, name, userID, metadata), e.g. `id,name`; items become arrays in that order'),
  limit: text('Page size, a positive integer; at most 1000 (also the default)'),
  skip: text('Tokens to pass over before the page, a positive integer'),
  count: text('`true` adds metadata.count, the number of matching tokens'),
  continue: text('metadata.continue of the previous page'),
  filter: text("`field op 'value'` (op: eq, lt, gt, lte, gte; `in` takes 'a,b,…', any of them), comma-joined, e.g. `name eq 'Snapshot Script'`; fields id, name, userID, type, version, metadata.creationTimestamp, " +
    'metadata.modificationTimestamp, metadata.createdBy, metadata.modifiedBy, metadata.labels[*].name, metadata.labels[*].value'),
  orderBy: text('id (default), name, createdBy, creationTimestamp or modificationTimestamp, optionally followed by ` desc`, e.g. `creationTimestamp desc`')
})

export const IfMatchHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag(s) of the token as last read; otherwise 412' })),
  'if-unmodified-since': Type.Optional(Type.String({ description: 'HTTP date; 412 if the token changed since' }))
})

const Empty = (description: string, headers: Record<string, TSchema> = {}) => ({ ...Type.Null({ description }), headers })
const ETAG_HEADER = { ETag: Type.String({ description: 'Quoted hex MD5 of the JSON resource; send it back in If-Match' }) }
const CORRELATION_HEADER = { 'X-Correlation-ID': Type.String({ description: 'The correlationID of the request (also in log lines)' }) }

export const CreatedReplySchema = { ...CreatedTokenSchema, headers: { Location: Type.String({ description: 'Absolute URL of the new token' }), ...ETAG_HEADER, ...CORRELATION_HEADER } }
export const TokenReplySchema = { ...TokenSchema, headers: { ...ETAG_HEADER, ...CORRELATION_HEADER } }
export const ListReplySchema = { ...TokenListSchema, headers: { ...ETAG_HEADER, ...CORRELATION_HEADER } }
export const ReplacedReplySchema = Empty('Replaced; no body', { ...ETAG_HEADER, ...CORRELATION_HEADER })
export const DeletedReplySchema = Empty('Deleted (revoked at once); no body', CORRELATION_HEADER)

const ProblemSchema = Type.Object({
  type: Type.String({ description: 'https://astra.netapp.io/problems/N, or about:blank outside the catalogue' }),
  title: Type.String(),
  detail: Type.String(),
  status: Type.String({ description: 'The HTTP status, as a string' }),
  correlationID: Type.String({ description: 'The request id (X-Correlation-ID)' }),
  invalidParams: Type.Optional(Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }))),
  invalidFields: Type.Optional(Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }))),
  schemaValidationFailure: Type.Optional(Type.String())
}, { additionalProperties: true })

/** Which problems each status may carry here, for the documentation. */
const PROBLEMS_BY_STATUS: Record<number, ProblemNumber[]> = { 400: [5, 6, 7, 8, 9, 12], 401: [3, 4], 403: [11], 404: [1, 2], 409: [10] }

function problemReply (status: number): TSchema {
  const numbers = PROBLEMS_BY_STATUS[status] ?? []
  const examples = numbers.map((number) => {
    const [code, title, detail] = PROBLEMS[number]
    return { type: problemType(number), title, detail, status: code, correlationID: EXAMPLE_CORRELATION }
  })
  const description = numbers.length > 0
    ? `application/problem+json: ${numbers.map((number) => `problem ${number} (${PROBLEMS[number][1]})`).join(', ')}`
    : 'application/problem+json, type about:blank'
  return { ...Type.Object(ProblemSchema.properties, { additionalProperties: true, description, ...(examples.length > 0 ? { examples } : {}) }), headers: CORRELATION_HEADER }
}

export function problemReplies (...statuses: number[]): Record<number, TSchema> {
  return errorResponses(problemReply, ...statuses)
}
