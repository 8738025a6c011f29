import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditEventsOf, credentialsOf, daysAgo, insertAstraToken, insertAuditEventAt, insertHostFactoryToken, insertSession, insertUsage, usageOf } from '../helpers/ended-credentials.js'
import { insertTenantUser } from '../helpers/factories.js'
import { testConfig } from '../helpers/test-app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { cliOn, jsonLines } from './run-cli.js'

// The purge acts on the whole database: this file has one of its own and one test that counts.
let database: TestDatabase
beforeAll(async () => { database = await createTestDatabase() })
afterAll(() => database.drop())

describe('tessera retention purge', () => {
  it('counts with --dry-run and changes nothing, then purges and records the purge with the CLI as the actor', async () => {
    const { db } = database
    const cli = cliOn(db, testConfig({ AUDIT_RETENTION_DAYS: '30', ENDED_CREDENTIAL_RETENTION_DAYS: '2' }))
    const now = new Date()
    const { account, user } = await insertTenantUser(db)
    const owner = { id: user.id, accountId: account.id }
    const ended = [
      await insertSession(db, owner, { expiresAt: daysAgo(now, 3) }),
      await insertAstraToken(db, owner, daysAgo(now, 3)),
      await insertHostFactoryToken(db, account.id, daysAgo(now, 3))
    ]
    const live = await insertSession(db, owner, { expiresAt: daysAgo(now, -1) })
    await insertUsage(db, [ended[0]!, live, 'agt_gone0000000000000000'])
    const events = [await insertAuditEventAt(db, account.id, daysAgo(now, 31)), await insertAuditEventAt(db, account.id, daysAgo(now, 29))]

    const counts = { auditEvents: 1, sessions: 1, astraTokens: 1, hostFactoryTokens: 1, credentialUsage: 2 }
    const dry = await cli(['retention', 'purge', '--dry-run', '--json'])
    expect(dry).toMatchObject({ code: 0, stderr: '' })
    const [report] = jsonLines(dry.stdout)
    expect(report).toEqual({ dryRun: true, cutoffs: { auditEvents: expect.any(String), endedCredentials: expect.any(String) }, purged: counts })
    expect(Date.parse(report.cutoffs.auditEvents)).toBeCloseTo(daysAgo(now, 30).getTime(), -5)
    expect(Date.parse(report.cutoffs.endedCredentials)).toBeCloseTo(daysAgo(now, 2).getTime(), -5)
    expect(await credentialsOf(db, [...ended, live])).toHaveLength(4)

    const purged = await cli(['retention', 'purge'])
    expect(purged.code).toBe(0)
    expect(purged.stderr).toBe('')
    expect(purged.stdout).toMatch(new RegExp([
      'purged:',
      '  1 audit events \\(before \\S+Z\\)',
      '  1 sessions, 1 Astra tokens and 1 host factory tokens \\(ended before \\S+Z\\)',
      '  2 use counts \\(of credentials that are gone\\)',
      ''
    ].join('\n') + '$'))
    expect(await credentialsOf(db, [...ended, live])).toEqual([live])
    expect(await usageOf(db, [ended[0]!, live])).toEqual([live])
    expect(await auditEventsOf(db, events)).toEqual([events[1]])
    const trail = jsonLines((await cli(['audit-events', 'list', '-', '--kind', 'retention.purged', '--json'])).stdout)
    expect(trail).toEqual([expect.objectContaining({ accountId: null, actor: { kind: 'cli', id: null, name: 'tessera-cli', credential: null }, details: expect.objectContaining({ purged: counts }) })])

    // Nothing left to purge; with AUDIT_RETENTION_DAYS=0 the trail is kept for ever.
    const keep = cliOn(db, testConfig({ AUDIT_RETENTION_DAYS: '0' }))
    const again = await keep(['retention', 'purge', '--json'])
    expect(jsonLines(again.stdout)).toEqual([{ dryRun: false, cutoffs: { auditEvents: null, endedCredentials: expect.any(String) }, purged: { auditEvents: 0, sessions: 0, astraTokens: 0, hostFactoryTokens: 0, credentialUsage: 0 } }])
    expect((await keep(['retention', 'purge', '--dry-run'])).stdout).toMatch(/^would purge:\n {2}0 audit events \(AUDIT_RETENTION_DAYS=0: kept for ever\)\n/)
  })

  it('takes no arguments', async () => {
    const cli = cliOn(database.db, testConfig())
    expect(await cli(['retention', 'purge', 'now'])).toEqual({ code: 2, stdout: '', stderr: "tessera: too many arguments: 'retention purge' takes none\nRun 'tessera retention purge --help' for usage.\n" })
  })
})
