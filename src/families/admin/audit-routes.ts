import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidInput } from '../../core/errors.js'
import { toKeysetPage } from '../../core/pagination.js'
import { parseRfc3339 } from '../../core/rfc3339.js'
import { listAuditEvents } from '../../db/repositories/audit-events.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import { endedInWords } from '../../services/kill-switch-words.js'
import { revokeUserCredentials } from '../../services/revoke-credentials.js'
import { requireAccountAdmin, requireChangeableUser } from './access.js'
import { revokedUserCredentialsSchema, revokeUserQuerySchema } from './kill-switch-schemas.js'
import { toAuditEvent } from '../../services/views.js'
import { pageReply, pageRequest } from './pagination.js'
import {
  AccountParamsSchema, AuditEventPageSchema, AuditQuerySchema, CHANGE_NOTE, errors, UserParamsSchema, security, tags
} from './schemas.js'

/** A `since`/`until` bound; the schema's `date-time` format let through only what parseRfc3339 reads. */
function instantOf (name: 'since' | 'until', text: string | undefined): Date | undefined {
  if (text === undefined) return undefined
  const instant = parseRfc3339(text)
  if (instant === null) throw new InvalidInput(`querystring/${name} must match format "date-time"`, { fields: [{ path: [name], problem: 'must match format "date-time"' }] })
  return instant
}

/** An account's audit trail, and the kill switch that ends every credential of a user or a host. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app

  app.get('/accounts/:accountId/audit-events', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'listAuditEvents',
      summary: 'List an account\'s audit events: changes and refusals, oldest first',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header. `requestId` finds why a request was refused. ' +
        'Refusals of credentials that name no known account are listed under the administrators\' account, for super-admins.',
      security,
      params: AccountParamsSchema,
      querystring: AuditQuerySchema,
      response: { 200: AuditEventPageSchema, ...errors(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    const { kind, requestId, accessor, since, until } = request.query
    const page = pageRequest(request.query)
    const rows = await listAuditEvents(db, {
      accountIds: accountId === config.admin.account ? [accountId, null] : [accountId],
      kind,
      requestId,
      accessor,
      since: instantOf('since', since),
      until: instantOf('until', until)
    }, page)
    return pageReply(request, reply, toKeysetPage(rows, page), page.limit, (row) => String(row.id), toAuditEvent)
  })

  app.post('/accounts/:accountId/users/:userId/revoke-credentials', {
    onRequest: requireAccountAdmin,
    preHandler: requireChangeableUser,
    schema: {
      tags,
      operationId: 'revokeUserCredentials',
      summary: 'Revoke every credential of a user across the four APIs, at once on every replica',
      description: `${endedInWords(app.families, ['Sessions', 'the API key'])}, in one transaction ` +
        'with one audit event. The user stays; `disableLogin=true` removes the password too (set a new one to let them in again). `dryRun=true` reports and changes nothing. ' + CHANGE_NOTE,
      security,
      params: UserParamsSchema,
      querystring: revokeUserQuerySchema(app.families),
      response: { 200: revokedUserCredentialsSchema(app.families), ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const dryRun = request.query.dryRun === true
    const revoked = await revokeUserCredentials(db, app.families, auditContextOf(request), request.params, { dryRun, disableLogin: request.query.disableLogin === true, now: app.clock() })
    return { dryRun, ...revoked }
  })
}

export default auditRoutes
