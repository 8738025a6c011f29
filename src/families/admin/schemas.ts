import { Type, type Static, type TSchema } from 'typebox'
import { ACCESSOR_PATTERN } from '../../core/accessors.js'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../core/credentials.js'
import { EMAIL_MAX_LENGTH, IDENTIFIER_PATTERN, NAME_MAX_LENGTH, USER_ID_PATTERN } from '../../core/identifiers.js'
import { ErrorResponseSchema } from '../../plugins/errors/default-dialect.js'
import { errorResponses } from '../../plugins/errors/error-responses.js'

/** Request and response shapes of Tessera's admin API (/admin/v1). */

/** Every admin route: its OpenAPI tag, and either header carrying a session token. */
export const tags = ['admin']
export const security: Array<Record<string, string[]>> = [{ authToken: [] }, { bearer: [] }]

/** Said of every route that changes a user (see changeableUser). */
export const CHANGE_NOTE = 'A user who also holds roles on other accounts can be changed only by a super-admin (403).'

const accountId = (description: string) => Type.String({ pattern: IDENTIFIER_PATTERN, description, examples: ['123456'] })
const AccountId = accountId('Account (tenant) id; tenants of some APIs are numeric strings')
const UserId = Type.String({ pattern: USER_ID_PATTERN, description: 'User id: a lowercase UUID v4', examples: ['5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f'] })
const RoleName = Type.String({ pattern: IDENTIFIER_PATTERN, description: 'Role name', examples: ['admin'] })
const AccountName = Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH, description: 'Unique account name', examples: ['acme'] })
const UserName = Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH, description: 'Unique user name (the login name)', examples: ['alice'] })
const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'Stored only as an argon2id hash' })
const Email = Type.String({ format: 'email', maxLength: EMAIL_MAX_LENGTH, examples: ['alice@example.com'] })
const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC', examples: ['2026-11-22T10:00:00.000Z'] })

/** One example of each record, for the document: a page or an answer holding one reuses it. */
const EXAMPLE_TIME = '2026-11-22T10:00:00.000Z'
const EXAMPLE_USER_ID = '5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f'
const EXAMPLE_ACCOUNT = { id: '123456', name: 'acme', enabled: true, createdAt: EXAMPLE_TIME }
export const EXAMPLE_USER = { id: EXAMPLE_USER_ID, name: 'alice', accountId: '123456', email: 'alice@example.com', roles: ['member'], enabled: true, createdAt: EXAMPLE_TIME }
const EXAMPLE_API_KEY = { apiKey: '0123456789abcdef0123456789abcdef', accessor: 'uak_0f1e2d3c4b5a69788796a5b4c3d2e1f0' }

export const AccountParamsSchema = Type.Object({ accountId: AccountId })
export const UserParamsSchema = Type.Object({ accountId: AccountId, userId: UserId })
export const RoleParamsSchema = Type.Object({ accountId: AccountId, userId: UserId, role: RoleName })
export type AccountParams = Static<typeof AccountParamsSchema>
export type UserParams = Static<typeof UserParamsSchema>
export type RoleParams = Static<typeof RoleParamsSchema>

// Optional query parameters carry no example: the explorer would fill it in and send it.
export const PageQuerySchema = Type.Object({
  // Kept as text so a bad value is answered by parseLimit, in this family's words.
  limit: Type.Optional(Type.String({ description: 'Page size, 1 to 1000 (default 100)' })),
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Id of the last item of the previous page (exclusive); from nextCursor' }))
})
export type PageQuery = Static<typeof PageQuerySchema>

export const NewAccountSchema = Type.Object({
  name: AccountName,
  id: Type.Optional(accountId('Account id (tenants of some APIs are numeric strings); generated, a lowercase UUID v4, when absent'))
}, { additionalProperties: false, examples: [{ name: 'acme', id: '123456' }] })
export type NewAccount = Static<typeof NewAccountSchema>

export const AccountChangesSchema = Type.Object({
  name: Type.Optional(AccountName),
  enabled: Type.Optional(Type.Boolean({ description: 'Disabling ends the sessions of the account\'s users at once' }))
}, { additionalProperties: false, examples: [{ enabled: false }] })
export type AccountChanges = Static<typeof AccountChangesSchema>

export const NewUserSchema = Type.Object({
  name: UserName,
  password: Type.Optional(Password),
  email: Type.Optional(Email),
  roles: Type.Optional(Type.Array(RoleName, { maxItems: 100, description: 'Roles on the user\'s account' })),
  enabled: Type.Optional(Type.Boolean())
}, { additionalProperties: false, examples: [{ name: 'alice', password: 'correct horse battery', email: 'alice@example.com', roles: ['member'] }] })
export type NewUser = Static<typeof NewUserSchema>

export const UserChangesSchema = Type.Object({
  name: Type.Optional(UserName),
  email: Type.Optional(Type.Union([Email, Type.Null()], { description: 'null removes the address' })),
  enabled: Type.Optional(Type.Boolean({ description: 'Disabling ends the user\'s sessions at once' })),
  password: Type.Optional(Password)
}, { additionalProperties: false, examples: [{ password: 'a new long passphrase' }] })
export type UserChanges = Static<typeof UserChangesSchema>

export const AccountSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Timestamp
}, { examples: [EXAMPLE_ACCOUNT] })

const userProperties = {
  id: Type.String(),
  name: Type.String(),
  accountId: Type.String({ description: 'The user\'s home account' }),
  email: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String(), { description: 'Roles on the home account' }),
  enabled: Type.Boolean(),
  createdAt: Timestamp
}

export const UserSchema = Type.Object(userProperties, { examples: [EXAMPLE_USER] })

const ApiKey = Type.String({ description: 'Shown only here: only its SHA-256 is stored', examples: [EXAMPLE_API_KEY.apiKey] })

const EXAMPLE_API_KEY_ACCESSOR = EXAMPLE_API_KEY.accessor
const ApiKeyAccessor = Type.String({ description: 'The key\'s non-secret handle: what the audit trail and the credentials calls name it by', examples: [EXAMPLE_API_KEY_ACCESSOR] })

export const CreatedUserSchema = Type.Object({ ...userProperties, apiKey: ApiKey, apiKeyAccessor: ApiKeyAccessor }, {
  examples: [{ ...EXAMPLE_USER, apiKey: EXAMPLE_API_KEY.apiKey, apiKeyAccessor: EXAMPLE_API_KEY.accessor }]
})
export type CreatedUser = Static<typeof CreatedUserSchema>

export const ApiKeySchema = Type.Object({ apiKey: ApiKey, accessor: ApiKeyAccessor }, { examples: [EXAMPLE_API_KEY] })

const NEXT_LINK = {
  link: { type: 'string', description: '`<absolute URL of the next page>; rel="next"`, only when there is one' }
}

/**
 * A keyset page: nextCursor is the `after` of the next page, null on the last. Its example, a
 * last page, holds the item's own.
 */
export function pageOf (item: TSchema, description: string) {
  const example = (item as { examples?: unknown[] }).examples?.[0]
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()])
  }, { description, headers: NEXT_LINK, ...(example === undefined ? {} : { examples: [{ items: [example], nextCursor: null }] }) })
}

export const AccountPageSchema = pageOf(AccountSchema, 'A page of accounts, by id')
export const UserPageSchema = pageOf(UserSchema, 'A page of the account\'s users, by id')

export const RoleAssignmentListSchema = Type.Object({
  items: Type.Array(Type.Object({
    accountId: Type.String(),
    accountName: Type.String(),
    role: Type.String()
  }), { description: 'By account id, then role' })
}, { examples: [{ items: [{ accountId: '123456', accountName: 'acme', role: 'admin' }, { accountId: '654321', accountName: 'globex', role: 'member' }] }] })

export const NoContentSchema = Type.Null({ description: 'No content' })

/** The admin API's error responses: the same body for every status. */
export function errors (...statuses: number[]) {
  return errorResponses(ErrorResponseSchema, ...statuses)
}

export const DryRunQuerySchema = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ default: false, description: 'true: report what would be revoked, change nothing' }))
})

export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ description: 'Page size, 1 to 1000 (default 100)' })),
  after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Id of the last event of the previous page (exclusive); from nextCursor' })),
  kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9.-]{0,63}$', description: 'Only events of this kind, e.g. `authentication.denied`' })),
  requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only the events of this request (its X-Request-Id)' })),
  accessor: Type.Optional(Type.String({ pattern: ACCESSOR_PATTERN, description: 'Only the events of this credential (its accessor, e.g. `agt_3f9c2b7e1d4a4c0f8e6b5a2d9c1e7f30`): those about it (its object) and those of requests it authenticated (actor.credential)' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only events at or after this instant' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Only events before this instant' }))
})

export const AuditEventSchema = Type.Object({
  id: Type.String({ description: 'Increasing; the keyset cursor' }),
  occurredAt: Timestamp,
  accountId: Type.Union([Type.String(), Type.Null()], { description: 'null for a refused credential naming no known account' }),
  kind: Type.String({ examples: ['session.issued', 'authentication.denied', 'credentials.revoked'] }),
  actor: Type.Object({
    kind: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    credential: Type.Union([Type.String(), Type.Null()], { description: 'The accessor of the credential the actor presented, when it is a stored one' })
  }),
  object: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()], { description: 'What the event is about; a credential by its kind and accessor' }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why a refusal was made: unknown, expired, revoked, wrong-origin, missing-privilege… (README, Audit trail)' }),
  requestId: Type.Union([Type.String(), Type.Null()], { description: 'The X-Request-Id the client saw' }),
  clientIp: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown())
}, {
  examples: [{
    id: '42',
    occurredAt: EXAMPLE_TIME,
    accountId: '123456',
    kind: 'session.issued',
    actor: { kind: 'user', id: EXAMPLE_USER_ID, name: 'alice', credential: null },
    object: { type: 'session', id: 'ses_9a8b7c6d5e4f30211203f4e5d6c7b8a9' },
    reason: null,
    requestId: '0b6f5c1e-3d0e-4a51-9d0a-2f4c8e7a1b22',
    clientIp: '192.0.2.10',
    details: { method: 'apikey', userId: EXAMPLE_USER_ID, expiresAt: '2026-11-23T10:00:00.000Z' }
  }]
})

export const AuditEventPageSchema = pageOf(AuditEventSchema, 'A page of the account\'s audit events, oldest first')
