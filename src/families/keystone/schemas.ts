import { Type, type Static } from 'typebox'

/** Request and response shapes of the OpenStack Identity v2.0 routes (Keystone Pike profile). */

/** One example of each answer, for the document; the access document is reused by validation. */
const EXAMPLE_TOKEN = '3f6c1d8e9a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5'
const EXAMPLE_TENANT = { id: '123456', name: 'acme', description: null, enabled: true }
const EXAMPLE_ENDPOINT = { id: '1', region: 'RegionOne', tenantId: '123456', publicURL: 'https://tessera.example.com/v1.0/123456' }
const EXAMPLE_ACCESS = {
  access: {
    token: { id: EXAMPLE_TOKEN, issued_at: '2026-11-22T10:00:00.000000Z', expires: '2026-11-23T10:00:00.000000Z', audit_ids: ['rk1S0v9VQ6WcZ3fNZKzO1A'], tenant: EXAMPLE_TENANT },
    serviceCatalog: [{ name: 'cloudMonitoring', type: 'rax:monitor', endpoints: [EXAMPLE_ENDPOINT], endpoints_links: [] }],
    user: { id: '5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f', name: 'demo', username: 'demo', roles: [{ name: 'admin' }], roles_links: [] },
    metadata: { is_admin: 0, roles: ['admin'] }
  }
}
const EXAMPLE_VERSION = {
  id: 'v2.0',
  status: 'stable',
  updated: '2014-04-17T00:00:00Z',
  links: [{ rel: 'self', href: 'https://tessera.example.com/v2.0/' }, { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v2.0+json' }]
}

const Text = (description: string, examples: unknown[] = []) => Type.String({ description, ...(examples.length ? { examples } : {}) })

// Only types are checked here; presence and sizes are checked in Keystone's order by authenticate.ts.
export const AuthRequestSchema = Type.Object({
  auth: Type.Optional(Type.Object({
    passwordCredentials: Type.Optional(Type.Object({
      username: Type.Optional(Text('User name; wins over userId when both are given', ['demo'])),
      userId: Type.Optional(Text('User id')),
      password: Type.Optional(Text('Password', ['secret-password']))
    })),
    'RAX-KSKEY:apiKeyCredentials': Type.Optional(Type.Object({
      username: Type.Optional(Text('User name', ['demo'])),
      apiKey: Type.Optional(Text('The user\'s API key', ['0123456789abcdef0123456789abcdef']))
    }, { description: 'Rackspace Cloud Identity API-key credentials' })),
    token: Type.Optional(Type.Object({ id: Type.Optional(Text('An existing token to re-scope')) })),
    tenantId: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'Scope to this tenant id (wins over tenantName)' })),
    tenantName: Type.Optional(Text('Scope to the tenant with this name')),
    trust_id: Type.Optional(Text('Trusts are not supported; a trust id is refused with 403'))
  }))
}, {
  examples: [
    { auth: { passwordCredentials: { username: 'demo', password: 'secret-password' }, tenantName: 'demo' } },
    { auth: { 'RAX-KSKEY:apiKeyCredentials': { username: 'demo', apiKey: '0123456789abcdef0123456789abcdef' } } },
    { auth: { token: { id: '…' }, tenantId: '123456' } }
  ]
})
export type AuthRequest = Static<typeof AuthRequestSchema>

const TenantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean()
})

const EndpointSchema = Type.Object({
  id: Type.String(),
  region: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
  publicURL: Type.String(),
  internalURL: Type.Optional(Type.String()),
  adminURL: Type.Optional(Type.String())
})

const ServiceSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  endpoints: Type.Array(EndpointSchema),
  endpoints_links: Type.Array(Type.Unknown())
})

export const AccessSchema = Type.Object({
  access: Type.Object({
    token: Type.Object({
      id: Type.String({ description: 'The token id: send it as X-Auth-Token' }),
      issued_at: Type.String({ examples: ['2026-11-22T10:00:00.000000Z'] }),
      expires: Type.String({ examples: ['2026-11-23T10:00:00.000000Z'] }),
      audit_ids: Type.Array(Type.String(), { minItems: 1, maxItems: 2 }),
      tenant: Type.Optional(TenantSchema)
    }),
    serviceCatalog: Type.Array(ServiceSchema, { description: 'Empty for an unscoped token' }),
    user: Type.Object({
      id: Type.String(),
      name: Type.String(),
      username: Type.String(),
      roles: Type.Array(Type.Object({ name: Type.String() })),
      roles_links: Type.Array(Type.Unknown())
    }),
    metadata: Type.Object({
      is_admin: Type.Integer(),
      roles: Type.Array(Type.String(), { description: 'Role ids, in the order of user.roles' })
    })
  })
}, { examples: [EXAMPLE_ACCESS] })
export type Access = Static<typeof AccessSchema>

export const KeystoneErrorSchema = Type.Object({
  error: Type.Object({
    message: Type.String({ examples: ['The request you have made requires authentication.'] }),
    code: Type.Integer({ examples: [401] }),
    title: Type.String({ examples: ['Unauthorized'] })
  })
}, { description: 'Keystone error body' })

export const TokenParamsSchema = Type.Object({ tokenId: Type.String({ minLength: 1, description: 'A token id', examples: [EXAMPLE_TOKEN] }) })

export const ValidateQuerySchema = Type.Object({
  belongsTo: Type.Optional(Type.String({ description: 'Answer 401 unless the token is scoped to this tenant id' }))
})

export const EndpointListSchema = Type.Union([
  Type.Object({
    endpoints: Type.Array(Type.Object({
      id: Type.String(),
      name: Type.String(),
      type: Type.String(),
      region: Type.Optional(Type.String()),
      tenantId: Type.Optional(Type.String()),
      publicURL: Type.String(),
      internalURL: Type.Optional(Type.String()),
      adminURL: Type.Optional(Type.String())
    })),
    endpoints_links: Type.Array(Type.Unknown())
  }),
  Type.Object({}, { description: 'An unscoped token has no endpoints: `{}`', additionalProperties: false })
], { examples: [{ endpoints: [{ ...EXAMPLE_ENDPOINT, name: 'cloudMonitoring', type: 'rax:monitor' }], endpoints_links: [] }, {}] })

export const TenantListQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ description: 'Page size (integer ≥ 0); all tenants when absent' })),
  marker: Type.Optional(Type.String({ description: 'Id of the last tenant of the previous page' }))
})

export const TenantListSchema = Type.Object({
  tenants: Type.Array(TenantSchema),
  tenants_links: Type.Array(Type.Unknown())
}, { examples: [{ tenants: [EXAMPLE_TENANT], tenants_links: [] }] })

const VersionSchema = Type.Object({
  id: Type.String({ examples: ['v2.0'] }),
  status: Type.String({ examples: ['stable'] }),
  updated: Type.String(),
  links: Type.Array(Type.Object({ rel: Type.String(), href: Type.String(), type: Type.Optional(Type.String()) })),
  'media-types': Type.Array(Type.Object({ base: Type.String(), type: Type.String() }))
})

export const VersionsSchema = Type.Object({ versions: Type.Object({ values: Type.Array(VersionSchema) }) }, { examples: [{ versions: { values: [EXAMPLE_VERSION] } }] })
export const VersionSchemaDocument = Type.Object({ version: VersionSchema }, { examples: [{ version: EXAMPLE_VERSION }] })
