import { Type, type TSchema } from 'typebox'
import { errorResponses } from '../../plugins/errors/error-responses.js'

/** Request and response shapes of the CyberArk Conjur family (spec conjur-astra.md Part A). */

export const tags = ['conjur']
export const accessTokenSecurity = [{ conjurAccessToken: [] }]
export const hostFactoryTokenSecurity = [{ conjurHostFactoryToken: [] }]

const Account = Type.String({ minLength: 1, maxLength: 64, description: 'The Tessera account name (Conjur\'s account)', examples: ['myorg'] })

export const AccountParamsSchema = Type.Object({ account: Account })
export const AuthenticateParamsSchema = Type.Object({
  account: Account,
  login: Type.String({ minLength: 1, maxLength: 300, description: 'A user name, or `host/<id>` sent as `host%2F<id>`', examples: ['alice', 'host%2Fweb-01'] })
})
export const TokenParamsSchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 300, description: 'The host factory token itself', examples: ['281s2ag1g8s7gd2ezf6td3d619b52t9gaak3w8rj0p38124n384sq7x'] })
})
export const ResourceParamsSchema = Type.Object({
  account: Account,
  kind: Type.String({ minLength: 1, maxLength: 64, examples: ['host_factory'] }),
  identifier: Type.String({ minLength: 1, maxLength: 300, description: 'The identifier; a `/` in it as `%2F`', examples: ['hf-db', 'database%2Fusers'] })
})

const Expiration = Type.String({ description: 'UTC, whole seconds, `Z`', examples: ['2050-12-31T00:00:00Z'] })
const Cidr = Type.Array(Type.String(), { description: 'Normalised `address/prefix` ranges; empty for no restriction', examples: [['127.0.0.1/32', '127.0.0.2/32']] })

export const HostFactoryTokenSchema = Type.Object({
  expiration: Expiration,
  cidr: Cidr,
  token: Type.String({ description: 'Crockford base32, at most 56 characters', examples: ['281s2ag1g8s7gd2ezf6td3d619b52t9gaak3w8rj0p38124n384sq7x'] })
})

const EXAMPLE_HOST_FACTORY_TOKEN = { expiration: '2050-12-31T00:00:00Z', cidr: ['127.0.0.1/32'], token: '281s2ag1g8s7gd2ezf6td3d619b52t9gaak3w8rj0p38124n384sq7x' }

export const TokenListSchema = Type.Array(HostFactoryTokenSchema, { description: 'One entry per token created', examples: [[EXAMPLE_HOST_FACTORY_TOKEN]] })

const Annotation = Type.Object({ name: Type.String(), value: Type.String() })

export const HostSchema = Type.Object({
  created_at: Type.String({ examples: ['2017-08-07T22:30:00.145+00:00'] }),
  id: Type.String({ examples: ['myorg:host:brand-new-host'] }),
  owner: Type.String({ examples: ['myorg:host_factory:hf-db'] }),
  permissions: Type.Array(Type.Never()),
  annotations: Type.Array(Annotation, { description: 'Sorted by name' }),
  restricted_to: Type.Array(Type.Never()),
  api_key: Type.String({ description: 'The host\'s API key, for /authn' })
}, {
  examples: [{
    created_at: '2017-08-07T22:30:00.145+00:00',
    id: 'myorg:host:brand-new-host',
    owner: 'myorg:host_factory:hf-db',
    permissions: [],
    annotations: [{ name: 'puppet', value: 'true' }],
    restricted_to: [],
    api_key: '1n1k2a52v6m8mq1x5q9t1y3g0s6f2d4bx8q7v0z3kf1d7t9w2r5'
  }]
})

const RoleId = Type.String({ examples: ['myorg:user:alice'] })
const Permission = Type.Object({ privilege: Type.String({ examples: ['execute'] }), role: RoleId })

export const HostFactoryResourceSchema = Type.Object({
  created_at: Type.String({ examples: ['2026-12-01T10:00:00.000+00:00'] }),
  id: Type.String({ examples: ['myorg:host_factory:hf-db'] }),
  owner: Type.Union([RoleId, Type.Null()], { description: 'null once the owner was deleted' }),
  permissions: Type.Array(Permission),
  annotations: Type.Array(Type.Never()),
  layers: Type.Array(Type.String({ examples: ['myorg:layer:db'] })),
  tokens: Type.Array(HostFactoryTokenSchema, { description: 'Every token, expired ones included, in clear' })
}, {
  examples: [{
    created_at: '2026-12-01T10:00:00.000+00:00',
    id: 'myorg:host_factory:hf-db',
    owner: 'myorg:user:alice',
    permissions: [{ privilege: 'execute', role: 'myorg:user:alice' }],
    annotations: [],
    layers: ['myorg:layer:db'],
    tokens: [EXAMPLE_HOST_FACTORY_TOKEN]
  }]
})

export const AccessTokenSchema = Type.Object({
  protected: Type.String({ description: 'URL-safe base64 (padded) of `{"alg","kid","account"}`' }),
  payload: Type.String({ description: 'URL-safe base64 (padded) of `{"iat","sub","exp"}`; exp = iat + 480' }),
  signature: Type.String({ description: 'URL-safe base64 (padded) HMAC-SHA-256' })
}, {
  description: 'The access token; with `Accept-Encoding: base64`, its strict base64 as text/plain (Content-Encoding: base64)',
  examples: [{
    protected: 'eyJhbGciOiJIUzI1NiIsImtpZCI6InRlc3NlcmEiLCJhY2NvdW50IjoibXlvcmcifQ==',
    payload: 'eyJpYXQiOjE3OTY2NzM2MDAsInN1YiI6ImFsaWNlIiwiZXhwIjoxNzk2Njc0MDgwfQ==',
    signature: 'c2lnbmF0dXJlLWJ5dGVzLW9mLWhtYWMtc2hhLTI1Ni0tLS0tLS0tLS0tLS0tLS0='
  }]
})

export const ApiKeyTextSchema = Type.String({ description: 'The role\'s API key (text/plain)', examples: ['1n1k2a52v6m8mq1x5q9t1y3g0s6f2d4bx8q7v0z3kf1d7t9w2r5'] })

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Unparseable JSON body (empty body)',
  401: 'Unauthenticated: an empty body from the controllers; text/plain (`Authorization missing`, `Malformed authorization token`, `Unauthorized: Invalid token`) from the access-token check',
  403: 'Forbidden (empty body)',
  404: 'Not found: `{"error":{"code":"not_found","message","target","details"}}`',
  405: 'A role without an API key (a layer, a host factory): `{"error":{"code":"method_not_allowed","message"}}`',
  409: 'Conflict',
  413: 'The body exceeds 64 KiB (empty body)',
  422: '`{"error":{"code":"argument_error"|"parameter_missing"|"unprocessable_entity","message"}}`',
  429: 'Too many requests from this client (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW): empty body, with Retry-After',
  503: 'The database is unavailable'
}

const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    target: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    details: Type.Optional(Type.Object({ code: Type.String(), target: Type.String(), message: Type.String() }))
  })
})

const V2ErrorBody = Type.Object({ code: Type.String({ examples: ['404'] }), message: Type.String() })

function errorReply (status: number): TSchema {
  const description = ERROR_DESCRIPTIONS[status] ?? 'Error'
  if (status === 400 || status === 403 || status === 413 || status === 429) return Type.Null({ description })
  if (status === 401) return Type.Union([Type.Null(), Type.String()], { description })
  // Under `Accept: application/x.secretsmgr.v2beta+json`, 404, 409 and some 422s are `{code, message}`.
  return Type.Union([ErrorBody, V2ErrorBody], { description })
}

/** PUT /authn/{account}/api_key's 401: also one that explains itself. */
export const ExplainedUnauthorizedSchema = Type.Union([Type.Null(), Type.String(), ErrorBody], {
  description: `${ERROR_DESCRIPTIONS[401]}; \`{"error":{"code":"unauthorized","message":"Credential strength is insufficient"}}\` for an access token rotating its own role's key`
})

export function errors (...statuses: number[]) {
  return errorResponses(errorReply, ...statuses)
}
