import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import { existingAccount } from '../../services/lookups.js'
import { reportCredentials, reportCsv, type CredentialReportQuery } from '../../services/credential-report.js'
import { requireAccountAdmin, requireAccountAdminOrSelf, requireUserOfAccount } from './access.js'
import { CredentialReportQuerySchema, CredentialReportResponseSchema } from './credential-report-schemas.js'
import { pageReply, pageRequest } from './pagination.js'
import { AccountParamsSchema, errors, security, tags, UserParamsSchema } from './schemas.js'

/** The hygiene report: an account's credentials, or one user's, with what is wrong with them, as JSON or CSV. */

const FILTERS = 'Filters combine (all must hold): `kind`, `neverUsed=true`, `unusedDays=N` (not used for N days; never used and made more than N days ago), ' +
  '`expiringDays=N` (live and expiring within N days), `ownerDisabled=true` (held or made by a disabled user); live credentials only unless `includeEnded=true`. ' +
  'Each item lists its `findings`. Keyset pages by accessor: pass nextCursor as `after` (exclusive), or follow the Link header, which keeps the filters. ' +
  '`Accept: text/csv` or `format=csv` gives the same page as CSV. Secrets are never shown.'

type ReportQuery = Static<typeof CredentialReportQuerySchema>

function wantsCsv (request: FastifyRequest, format: ReportQuery['format']): boolean {
  if (format !== undefined) return format === 'csv'
  const accept = request.headers.accept ?? ''
  return accept.split(',').some((range) => range.split(';')[0]!.trim().toLowerCase() === 'text/csv')
}

const credentialReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  async function answer (request: FastifyRequest, reply: FastifyReply, query: ReportQuery, scope: Pick<CredentialReportQuery, 'accountId' | 'userId'>) {
    const page = pageRequest(query)
    const { limit: _limit, after: _after, format, ...filters } = query
    const report = await reportCredentials(db, { ...scope, ...filters }, page, app.clock())
    const body = pageReply(request, reply, report, page.limit, (item) => item.accessor, (item) => item)
    if (wantsCsv(request, format)) return reply.type('text/csv; charset=utf-8').send(reportCsv(body.items))
    return reply.send(body)
  }

  app.get('/accounts/:accountId/credentials', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'reportAccountCredentials',
      summary: 'Report an account\'s credentials of every kind: never used, unused, expiring, owned by disabled users',
      description: FILTERS,
      security,
      params: AccountParamsSchema,
      querystring: CredentialReportQuerySchema,
      response: { 200: CredentialReportResponseSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    await existingAccount(db, accountId)
    return answer(request, reply, request.query, { accountId })
  })

  app.get('/accounts/:accountId/users/:userId/credentials', {
    onRequest: requireAccountAdminOrSelf,
    preHandler: requireUserOfAccount,
    schema: {
      tags,
      operationId: 'reportUserCredentials',
      summary: 'Report a user\'s credentials on an account: those they hold and those they made',
      description: `For the account's admins, and for the user themself with a session scoped to the account (403 for anyone else). ${FILTERS}`,
      security,
      params: UserParamsSchema,
      querystring: CredentialReportQuerySchema,
      response: { 200: CredentialReportResponseSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId } = request.params
    return answer(request, reply, request.query, { accountId, userId })
  })
}

export default credentialReportRoutes
