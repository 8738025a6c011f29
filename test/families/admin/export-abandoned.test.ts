import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { eventually } from '../../helpers/eventually.js'
import { superAdminSession, type Login } from '../../helpers/factories.js'
import { setupTestApp, type TestApp } from '../../helpers/test-app.js'

/**
 * GET /admin/v1/export reads one snapshot as the client takes its lines. A client that leaves
 * midway (Ctrl-C on `tessera export`, `| head`) must end that transaction: before, it waited for
 * a drain that never came and held its connection until the process ended.
 */

let t: TestApp
let superAdmin: Login
beforeAll(async () => {
  t = await setupTestApp()
  superAdmin = await superAdminSession(t.app)
  // ≈ 3 MB of lines: far more than the socket and stream buffers hold, so the export waits on the client.
  await sql`insert into accounts (id, name) select 'bulk-' || n, rpad('bulk-' || n || '-', 60, 'x') from generate_series(1, 20000) n`.execute(t.app.db)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => t?.close())

/** Sessions of this test's database left inside a transaction (PostgreSQL only). */
async function idleInTransaction (): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(t.app.db)
  return rows[0]!.count
}

/** Starts an export, reads its first chunk, and closes the connection without reading on. */
function readFirstChunkAndLeave (): Promise<string> {
  const { port } = t.app.server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const exporting = request({ host: '127.0.0.1', port, path: '/admin/v1/export', headers: { 'x-auth-token': superAdmin.token } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`export answered ${response.statusCode}`))
      response.once('data', (chunk: Buffer) => {
        exporting.destroy()
        resolve(chunk.toString())
      })
    })
    exporting.on('error', reject)
    exporting.end()
  })
}

it('a client that leaves midway ends the export\'s snapshot, and the service goes on answering', async () => {
  const first = await readFirstChunkAndLeave()
  expect(JSON.parse(first.split('\n')[0]!)).toMatchObject({ type: 'tessera-export', version: 1 })
  if (inject('testDatabase').kind === 'postgres') await eventually(async () => expect(await idleInTransaction()).toBe(0))
  // On the embedded database a transaction left open would hold every later query.
  const after = await t.app.inject({ url: '/admin/v1/accounts?limit=1', headers: { 'x-auth-token': superAdmin.token } })
  expect(after.statusCode).toBe(200)
  const again = await t.app.inject({ url: '/admin/v1/export', headers: { 'x-auth-token': superAdmin.token } })
  expect(again.statusCode).toBe(200)
  expect(again.body.trimEnd().split('\n').length).toBeGreaterThan(20000)
})

it('has no HEAD: it would read the whole snapshot to throw it away', async () => {
  const head = await t.app.inject({ method: 'HEAD', url: '/admin/v1/export', headers: { 'x-auth-token': superAdmin.token } })
  expect(head.statusCode).toBe(404)
  expect(head.body).toBe('')
})
