import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAuditEvents } from '../../src/db/repositories/audit-events.js'
import { findSealedApiKey } from '../../src/db/repositories/api-keys.js'
import { issueSession, findSession } from '../../src/services/sessions.js'
import { auditRow } from '../../src/services/audit.js'
import { insertTenantUser, unique } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { cliOn, jsonLines } from './run-cli.js'

let database: TestDatabase
let cli: ReturnType<typeof cliOn>

beforeAll(async () => {
  database = await createTestDatabase()
  cli = cliOn(database.db, testConfig())
})
afterAll(() => database.drop())

describe('tessera audit-events list', () => {
  it('lists an account\'s events by id, filtered by request id and kind, a page at a time', async () => {
    const { account } = await insertTenantUser(database.db)
    const requestId = unique('req')
    const context = { actor: { kind: 'anonymous' as const, id: null, name: null }, requestId, clientIp: '198.51.100.4' }
    await insertAuditEvents(database.db, [
      auditRow(context, { kind: 'authentication.denied', accountId: account.id, reason: 'expired' }),
      auditRow(context, { kind: 'authentication.denied', accountId: account.id, reason: 'revoked' }),
      auditRow({ ...context, requestId: null }, { kind: 'user.created', accountId: account.id, object: { type: 'user', id: 'u-1' } })
    ])
    const first = await cli(['audit-events', 'list', account.name, '--request-id', requestId, '--limit', '1', '--json'])
    expect(first.code).toBe(0)
    const [event] = jsonLines(first.stdout)
    expect(event).toMatchObject({ accountId: account.id, kind: 'authentication.denied', reason: 'expired', requestId, clientIp: '198.51.100.4' })
    expect(first.stderr).toBe(`more events follow: continue with --after ${event.id}\n`)
    const rest = await cli(['audit-events', 'list', account.id, '--request-id', requestId, '--after', event.id, '--json'])
    expect(jsonLines(rest.stdout)).toEqual([expect.objectContaining({ reason: 'revoked' })])
    const created = await cli(['audit-events', 'list', account.id, '--kind', 'user.created'])
    expect(created).toMatchObject({ code: 0, stderr: '' })
    expect(created.stdout).toMatch(/^ID +TIME +KIND +ACTOR +OBJECT +REASON +REQUEST\n\d+ +\S+ +user\.created +anonymous +user:u-1 +- +-\n$/)
    expect(await cli(['audit-events', 'list', account.id, '--since', 'yesterday'])).toEqual({ code: 1, stdout: '', stderr: 'tessera: --since must be an ISO 8601 date and time, e.g. 2026-11-22T10:00:00Z\n' })
    // A leap second is the instant after the day's last second; Feb 30 is no date.
    const leap = await cli(['audit-events', 'list', account.id, '--kind', 'user.created', '--since', '2016-12-31T23:59:60Z', '--until', '9999-12-31T23:59:59Z', '--json'])
    expect(leap).toMatchObject({ code: 0, stderr: '' })
    expect(jsonLines(leap.stdout)).toEqual([expect.objectContaining({ kind: 'user.created' })])
    expect(await cli(['audit-events', 'list', account.id, '--until', '2024-02-30T00:00:00Z'])).toEqual({ code: 1, stdout: '', stderr: 'tessera: --until must be an ISO 8601 date and time, e.g. 2026-11-22T10:00:00Z\n' })
  })
})

describe('changes made with the CLI', () => {
  it('are recorded with the CLI as the actor, never with a secret', async () => {
    const { account, user } = await insertTenantUser(database.db)
    expect((await cli(['roles', 'grant', user.id, account.id, 'auditor'])).code).toBe(0)
    const rotated = await cli(['users', 'rotate-api-key', user.id, '--json'])
    expect(rotated.code).toBe(0)
    const trail = jsonLines((await cli(['audit-events', 'list', account.id, '--json'])).stdout)
    expect(trail.map((event) => event.kind)).toEqual(['role.granted', 'api-key.rotated'])
    expect(trail[0]).toMatchObject({ actor: { kind: 'cli', id: null, name: 'tessera-cli' }, object: { type: 'user', id: user.id }, details: { role: 'auditor' }, requestId: null })
    expect(JSON.stringify(trail)).not.toContain(jsonLines(rotated.stdout)[0].apiKey)
  })
})

describe('tessera users revoke-credentials', () => {
  it('reports with --dry-run, then revokes the user\'s sessions and API key in one audited transaction', async () => {
    const { account, user, apiKeyAccessor } = await insertTenantUser(database.db, ['member'])
    const session = await issueSession(database.db, { user, account, roles: ['member'], method: 'password', ttlSeconds: 3600 }, new Date())
    const dry = await cli(['users', 'revoke-credentials', user.name, '--dry-run', '--json'])
    expect(dry.code).toBe(0)
    expect(jsonLines(dry.stdout)).toEqual([{
      dryRun: true,
      userId: user.id,
      sessions: 1,
      apiKeyRevoked: true,
      astraTokens: 0,
      conjurAccessTokens: 'all issued until now',
      agentTokens: 0,
      hostFactoryTokens: 0,
      loginDisabled: false,
      credentials: [{ kind: 'api-key', accessor: apiKeyAccessor }, { kind: 'session', accessor: session.auditId }]
    }])
    expect(await findSession(database.db, session.token, new Date())).toBeDefined()

    expect(await cli(['users', 'revoke-credentials', user.id])).toEqual({
      code: 0,
      stdout: `revoked for user ${user.id} (${user.name}): 1 sessions, the API key, 0 Astra tokens, 0 agent tokens and 0 host factory tokens made by the user, every Conjur access token issued until now\n`,
      stderr: ''
    })
    expect(await findSession(database.db, session.token, new Date())).toBeUndefined()
    expect(await findSealedApiKey(database.db, user.id)).toBeUndefined()
    const trail = jsonLines((await cli(['audit-events', 'list', account.id, '--kind', 'credentials.revoked', '--json'])).stdout)
    expect(trail).toEqual([expect.objectContaining({ actor: { kind: 'cli', id: null, name: 'tessera-cli', credential: null }, object: { type: 'user', id: user.id }, requestId: null })])
  })
})
