import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { PassThrough } from 'node:stream'
import { once } from 'node:events'
import { Type } from 'typebox'
import { InvalidInput } from '../../core/errors.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import { inWords } from '../../core/in-words.js'
import { retained, type RetainingFamilies } from '../../services/retained-credentials.js'
import { purgeOnRequest } from '../../services/retention.js'
import type { LineFailure } from '../../services/transfer/import.js'
import { withIdleTimeout } from '../../services/transfer/idle-timeout.js'
import { runImport, writeExport } from '../../services/transfer/run.js'
import { transferSections } from '../../services/transfer/sections.js'
import { requireSuperAdmin } from './access.js'
import { errors, security, tags } from './schemas.js'

/**
 * What spans every account, for super-admins: the retention purge now, and the export and import
 * of every identity and credential (README, "Import and export"), as the CLI runs them on the database.
 */

const NDJSON = 'application/x-ndjson'

const Count = Type.Integer({ minimum: 0 })

/** A purge's answer: its counts are the identity core's and the served families' kinds of ended credential. */
const retentionRunSchema = (families: RetainingFamilies) => Type.Object({
  dryRun: Type.Boolean(),
  cutoffs: Type.Object({
    auditEvents: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Events before it go; null: kept for ever (AUDIT_RETENTION_DAYS=0)' }),
    endedCredentials: Type.String({ format: 'date-time', description: 'Credentials ended before it go' })
  }),
  purged: Type.Object({
    auditEvents: Count,
    ...Object.fromEntries(retained(families).ended.map(({ count }) => [count, Count])),
    credentialUsage: Count
  }, { description: 'Rows removed (a dry run: that would be), table by table' })
}, {
  examples: [{
    dryRun: true,
    cutoffs: { auditEvents: '2026-08-29T10:00:00.000Z', endedCredentials: '2026-11-20T10:00:00.000Z' },
    purged: { auditEvents: 120, ...Object.fromEntries(retained(families).ended.map(({ count }, index) => [count, index === 0 ? 40 : 2])), credentialUsage: 3 }
  }]
})

const DryRunSchema = Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false, description: 'true: count, change nothing' })) })

const ImportQuerySchema = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ default: false, description: 'true: check and write every line, then roll everything back' })),
  allowAdminAccount: Type.Optional(Type.Boolean({ default: false, description: 'true: let the file add users to the administrators\' account or give roles on it' }))
})

const Counts = Type.Object({ imported: Count, skipped: Count, failed: Count })

const ImportResultSchema = Type.Object({
  failures: Type.Array(Type.Object({ line: Type.Integer(), type: Type.String(), reason: Type.String() }), { description: 'Each line that failed, in order; the others went on' }),
  summary: Type.Object({
    counts: Type.Record(Type.String(), Counts, { description: 'By line type' }),
    failed: Count,
    lines: Count
  })
}, { examples: [{ failures: [{ line: 3, type: 'account', reason: 'id must match pattern "^[A-Za-z0-9._:-]{1,64}$"' }], summary: { counts: { account: { imported: 1, skipped: 0, failed: 1 } }, failed: 1, lines: 3 } }] })

/** How long an export waits for a client that reads nothing, or an import for one that sends nothing. */
const STALLED_CLIENT_MS = 60_000

/** An import's answer lists at most this many failed lines (its summary counts them all). */
export const MAX_LISTED_FAILURES = 1000

const maintenanceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app
  // The served families' lines with the identity core's, in an export's order.
  const sections = transferSections(app.families)
  const kinds = inWords(sections.map(({ noun }) => noun))

  // An import streams its body into the database, a line at a time: never read whole. The
  // stream is kept aside, not as the parsed body, which hooks walk (plugins/storable-text).
  const bodies = new WeakMap<FastifyRequest, AsyncIterable<Buffer>>()
  app.addContentTypeParser(NDJSON, (request, payload, done) => {
    bodies.set(request, payload)
    done(null, null)
  })

  app.post('/retention/purge', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'purgeRetained',
      summary: 'Purge now what the retention timer purges (super-admin)',
      description: `Audit events older than AUDIT_RETENTION_DAYS, ${inWords(retained(app.families).ended.map(({ noun }) => noun))} ended more than ENDED_CREDENTIAL_RETENTION_DAYS ago, ` +
        'and use counts of credentials that are gone, by this server\'s settings. One `retention.purged` audit event when anything went. `dryRun=true` counts only.',
      security,
      querystring: DryRunSchema,
      response: { 200: retentionRunSchema(app.families), ...errors(400, 401, 403, 503) }
    }
  }, async (request) => purgeOnRequest(db, app.families, auditContextOf(request), config.retention, request.query.dryRun === true, app.clock()))

  app.get('/export', {
    // A HEAD would read the whole snapshot to throw it away.
    exposeHeadRoute: false,
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'exportEverything',
      summary: 'Export every identity and credential as JSON lines (super-admin)',
      description: `The header line first, then one line each of ${kinds}, from one read-only snapshot. No plaintext secret: credentials as the database keeps them ` +
        '(lookup hashes, and copies sealed under the server key). Keep an export as safe as a database backup.',
      security,
      response: { 200: { description: 'JSON lines', content: { [NDJSON]: { schema: Type.String({ examples: ['{"type":"tessera-export","version":1,"exportedAt":"2026-11-22T10:00:00.000Z","source":"tessera"}\n'] }) } } }, ...errors(401, 403, 503) }
    }
  }, async (request, reply) => {
    const body = new PassThrough()
    // The snapshot's transaction lasts as long as the client reads: a client that leaves, or
    // reads nothing for a minute, ends it (else it would hold a connection, and vacuum, for good).
    const gone = new AbortController()
    body.once('close', () => gone.abort(new Error('the client closed the connection')))
    const write = async (text: string) => {
      gone.signal.throwIfAborted()
      if (!body.write(text)) await once(body, 'drain', { signal: AbortSignal.any([gone.signal, AbortSignal.timeout(STALLED_CLIENT_MS)]) })
    }
    // A failure midway cuts the answer short.
    writeExport(db, sections, app.clock(), write).then(() => body.end(), (error: unknown) => {
      if (gone.signal.aborted) request.log.info('export abandoned: the client closed the connection')
      else request.log.error({ err: error }, 'export failed')
      body.destroy(error as Error)
    })
    // A stream is sent as it is, never serialized: the schema documents its lines.
    return reply.type(NDJSON).send(body as unknown as string)
  })

  app.post('/import', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'importEverything',
      summary: 'Import identities and credentials from JSON lines (super-admin)',
      description: `An export of Tessera's, or lines by value from the system being replaced (${kinds}), as \`${NDJSON}\`. What exists is skipped; each failed line is reported ` +
        `(the first ${MAX_LISTED_FAILURES}; the summary counts them all) and the rest go on. A minute without a byte from the client ends the request.`,
      security,
      querystring: ImportQuerySchema,
      response: { 200: ImportResultSchema, ...errors(400, 401, 403, 415, 503) }
    }
  }, async (request) => {
    const failures: LineFailure[] = []
    const body = bodies.get(request)
    if (!body) throw new InvalidInput(`the body must be JSON lines, sent as ${NDJSON}`)
    // The body has no size limit (it is read a line at a time), but a client that stops sending
    // must not hold the import's transaction: a minute without a byte ends the request.
    const stalled = () => new InvalidInput('the import stalled: nothing was sent for a minute')
    const summary = await runImport(db, sections, withIdleTimeout(body, STALLED_CLIENT_MS, stalled), {
      box: app.credentialTools.box,
      now: app.clock(),
      adminAccount: { id: config.admin.account, allowed: request.query.allowAdminAccount === true },
      audit: auditContextOf(request),
      dryRun: request.query.dryRun === true,
      // The summary counts every failure; the answer lists the first ones, so its size is bounded.
      onFailure: (failure) => { if (failures.length < MAX_LISTED_FAILURES) failures.push(failure) }
    })
    return { failures, summary }
  })
}

export default maintenanceRoutes
