import { Type, type Static } from 'typebox'
import { ACCESSOR_PATTERN } from '../../core/accessors.js'
import { CREDENTIAL_KINDS } from '../../db/repositories/credentials.js'
import { AccountParamsSchema } from './schemas.js'

const Instant = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description })

export const EXAMPLE_CREDENTIAL = {
  kind: 'api-key',
  accessor: 'uak_3f9c2b7e1d4a4c0f8e6b5a2d9c1e7f30',
  accountId: '123456',
  owner: { type: 'user', id: '5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f' },
  createdBy: null,
  name: null,
  createdAt: '2026-11-22T10:00:00.000Z',
  expiresAt: null,
  endedAt: null,
  lastUsedAt: '2026-12-01T08:30:00.000Z',
  useCount: 42
}

/** One credential of any kind, by its accessor: never its secret. */
export const CredentialSchema = Type.Object({
  kind: Type.Enum([...CREDENTIAL_KINDS], { description: 'What it is' }),
  accessor: Type.String({ description: 'Its non-secret handle: a session\'s audit id, a token\'s id, or a random id with its kind\'s prefix (e.g. uak_ for a user\'s API key)' }),
  accountId: Type.String(),
  owner: Type.Object({
    type: Type.String({ description: 'user, or what else holds its kind of credential (e.g. the account, for tokens that belong to their tenant)' }),
    id: Type.String()
  }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'The user who made it through an API, when one did' }),
  name: Type.Union([Type.String(), Type.Null()], { description: 'A token\'s label or name, for kinds that have one' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Instant('null for kinds that do not expire'),
  endedAt: Instant('When it stopped working (revoked or expired); null while it works'),
  lastUsedAt: Instant('Its last use as far as the replicas have flushed their counts (USAGE_FLUSH_SECONDS); null if never used'),
  useCount: Type.Integer({ description: 'Uses counted so far, on every replica' })
}, { examples: [EXAMPLE_CREDENTIAL] })
export type Credential = Static<typeof CredentialSchema>

export const CredentialParamsSchema = Type.Object({
  ...AccountParamsSchema.properties,
  accessor: Type.String({ pattern: ACCESSOR_PATTERN, description: 'The credential\'s accessor', examples: [EXAMPLE_CREDENTIAL.accessor] })
})
