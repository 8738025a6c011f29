import { Type } from 'typebox'
import { HostFactoryResourceSchema } from './schemas.js'

/** Shapes of Conjur's resource listing, role resources and /whoami (conjur-openapi-spec `resources.yml`, `status.yml`). */

const Account = Type.String({ minLength: 1, maxLength: 64, description: 'The Tessera account name (Conjur\'s account)', examples: ['myorg'] })
const Kind = Type.String({ minLength: 1, maxLength: 64, description: 'host, host_factory, layer or user (Conjur\'s other kinds list nothing)', examples: ['host'] })

export const ListParamsSchema = Type.Object({ account: Account })
export const KindListParamsSchema = Type.Object({ account: Account, kind: Kind })
export const RoleResourceParamsSchema = Type.Object({
  account: Account,
  identifier: Type.String({ minLength: 1, maxLength: 300, description: 'The identifier; a `/` in it as `%2F`', examples: ['web-01'] })
})

const Timestamp = Type.String({ examples: ['2026-12-01T10:00:00.000+00:00'] })
const Owner = Type.Union([Type.String({ examples: ['myorg:host_factory:hf-db'] }), Type.Null()], { description: 'A host\'s factory; null for users and layers (owned by the account\'s admins) and for a host whose factory is gone' })
const Annotation = Type.Object({ name: Type.String(), value: Type.String() }, { additionalProperties: false })

const EXAMPLE_HOST = {
  created_at: '2026-12-01T10:00:00.000+00:00',
  id: 'myorg:host:web-01',
  owner: 'myorg:host_factory:hf-db',
  permissions: [],
  annotations: [{ name: 'env', value: 'production' }],
  restricted_to: []
}
const EXAMPLE_LAYER = { created_at: '2026-12-01T09:00:00.000+00:00', id: 'myorg:layer:db', owner: null, permissions: [], annotations: [] }

export const RoleResourceSchema = Type.Object({
  created_at: Timestamp,
  id: Type.String({ examples: ['myorg:host:web-01'] }),
  owner: Owner,
  permissions: Type.Array(Type.Never()),
  annotations: Type.Array(Annotation, { description: 'Sorted by name; users have none' }),
  restricted_to: Type.Array(Type.Never())
}, { additionalProperties: false, description: 'A host or a user', examples: [EXAMPLE_HOST] })

export const LayerResourceSchema = Type.Object({
  created_at: Timestamp,
  id: Type.String({ examples: ['myorg:layer:db'] }),
  owner: Owner,
  permissions: Type.Array(Type.Never()),
  annotations: Type.Array(Type.Never())
}, { additionalProperties: false, description: 'A layer', examples: [EXAMPLE_LAYER] })

const StrictHostFactorySchema = Type.Object(HostFactoryResourceSchema.properties, { additionalProperties: false, description: 'A host factory, its tokens in clear' })

/** Most specific first: the serializer takes the first shape a value fits. */
export const ListedResourceSchema = Type.Union([StrictHostFactorySchema, RoleResourceSchema, LayerResourceSchema], { examples: [EXAMPLE_HOST] })

export const ResourceListSchema = Type.Union([
  Type.Array(ListedResourceSchema, { description: 'Ordered by resource id' }),
  Type.Object({ count: Type.Integer({ minimum: 0, examples: [3] }) }, { additionalProperties: false, description: '`count=true`' })
], { examples: [[EXAMPLE_HOST, EXAMPLE_LAYER], { count: 2 }] })

export const WhoamiSchema = Type.Object({
  client_ip: Type.String({ description: 'The client address as Conjur (Rack) finds it', examples: ['127.0.0.1'] }),
  user_agent: Type.Union([Type.String(), Type.Null()], { description: 'The User-Agent header; null without one', examples: ['conjur-api-python'] }),
  account: Type.String({ description: 'The account name', examples: ['myorg'] }),
  username: Type.String({ description: 'The token\'s login: a user name or `host/<id>`', examples: ['alice'] }),
  token_issued_at: Type.String({ description: 'The token\'s `iat`', examples: ['2026-12-01T10:00:00.000+00:00'] })
}, {
  examples: [{ client_ip: '127.0.0.1', user_agent: 'conjur-api-python', account: 'myorg', username: 'alice', token_issued_at: '2026-12-01T10:00:00.000+00:00' }]
})
