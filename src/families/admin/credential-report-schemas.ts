import { Type } from 'typebox'
import { ACCESSOR_PATTERN } from '../../core/accessors.js'
import { CREDENTIAL_KINDS } from '../../db/repositories/credentials.js'
import { DEFAULT_EXPIRING_DAYS, DEFAULT_UNUSED_DAYS, FINDINGS, REPORT_DAYS_MAX } from '../../services/credential-report.js'
import { CredentialSchema } from './credential-schemas.js'

/** The hygiene report's query and answers (GET …/credentials, GET …/users/{userId}/credentials). */

// Filters carry no example: the explorer would fill it in and send it.
const Days = (description: string) => Type.Integer({ minimum: 0, maximum: REPORT_DAYS_MAX, description })

export const CredentialReportQuerySchema = Type.Object({
  // Kept as text so a bad value is answered by parseLimit, as on the other lists.
  limit: Type.Optional(Type.String({ description: 'Page size, 1 to 1000 (default 100)' })),
  after: Type.Optional(Type.String({ pattern: ACCESSOR_PATTERN, description: 'Accessor of the last credential of the previous page (exclusive); from nextCursor' })),
  kind: Type.Optional(Type.Enum([...CREDENTIAL_KINDS], { description: 'Only credentials of this kind' })),
  neverUsed: Type.Optional(Type.Boolean({ description: 'true: only those with no recorded use' })),
  unusedDays: Type.Optional(Days(`Only those not used for this many days (0 to ${REPORT_DAYS_MAX}); one never used counts from its creation. Also what the \`unused\` finding means (default ${DEFAULT_UNUSED_DAYS})`)),
  expiringDays: Type.Optional(Days(`Only live ones expiring within this many days (0 to ${REPORT_DAYS_MAX}). Also what the \`expiring\` finding means (default ${DEFAULT_EXPIRING_DAYS})`)),
  ownerDisabled: Type.Optional(Type.Boolean({ description: 'true: only those held by a disabled user, or made by one' })),
  includeEnded: Type.Optional(Type.Boolean({ description: 'true: revoked and expired credentials too (default: live ones only)' })),
  format: Type.Optional(Type.Enum(['json', 'csv'], { description: 'csv: the same page as CSV, as with `Accept: text/csv`' }))
})

const CredentialReportItemSchema = Type.Object({
  ...CredentialSchema.properties,
  findings: Type.Array(Type.Enum([...FINDINGS]), {
    description: '`never-used`; `unused` (not used for unusedDays, default 90); `expiring` (within expiringDays, default 30); ' +
      '`owner-disabled` (its holder or maker is a disabled user)'
  })
}, {
  examples: [{
    kind: 'api-key',
    accessor: 'uak_7f3a0c5e9b2d4e18a6c1f0d2b3e4a5c6',
    accountId: '123456',
    owner: { type: 'user', id: '5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f' },
    createdBy: null,
    name: null,
    createdAt: '2026-11-22T10:00:00.000Z',
    expiresAt: null,
    endedAt: null,
    lastUsedAt: null,
    useCount: 0,
    findings: ['never-used', 'owner-disabled']
  }]
})

// Its Link header is the response's (below), as the CSV has it too.
export const CredentialReportPageSchema = Type.Object({
  items: Type.Array(CredentialReportItemSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()])
}, { description: 'A page of credentials, by accessor', examples: [{ items: (CredentialReportItemSchema as { examples?: unknown[] }).examples, nextCursor: null }] })

const CSV_EXAMPLE = 'kind,accessor,accountId,ownerType,ownerId,createdBy,name,createdAt,expiresAt,endedAt,lastUsedAt,useCount,findings\r\n' +
  'api-key,uak_7f3a0c5e9b2d4e18a6c1f0d2b3e4a5c6,123456,user,5f2b9c0e-8d7a-4b3c-9e1f-0a2b3c4d5e6f,,,' +
  '2026-11-22T10:00:00.000Z,,,,0,never-used owner-disabled\r\n'

/** The 200 answer, as JSON or as CSV: the same page either way, with a Link header to the next. */
export const CredentialReportResponseSchema = {
  description: 'A page of credentials, by accessor',
  headers: { link: { type: 'string', description: '`<absolute URL of the next page>; rel="next"`, only when there is one' } },
  content: {
    'application/json': { schema: CredentialReportPageSchema },
    'text/csv': {
      schema: Type.String({
        description: 'RFC 4180 (CRLF, quoted where needed), a header row first; findings separated by spaces. A field starting with =, +, -, @, ' +
          'a tab or a CR is prefixed with \' so that spreadsheets do not run it',
        examples: [CSV_EXAMPLE]
      })
    }
  }
}
