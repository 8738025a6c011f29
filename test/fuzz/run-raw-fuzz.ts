import fc from 'fast-check'
import type { App } from '../../src/app.js'
import { errorShapeProblem, familyOf } from './error-shapes.js'
import { createFuzzFixtures } from './fixtures.js'
import { listOperations } from './operations.js'
import { rawRequest } from './raw-requests.js'
import { sendRaw } from './raw-http.js'

export interface RawFuzzReport {
  requests: number
  statuses: Record<string, number>
}

/**
 * Sends generated raw requests to the app listening on a real socket: whatever Node's parser
 * or the app makes of them, the reply is never a 5xx and errors are in the path's family shape.
 */
export async function fuzzRawRequests (app: App, options: { runs: number, seed: number, path?: string }): Promise<RawFuzzReport> {
  const operations = await listOperations(app)
  const fixtures = await createFuzzFixtures(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const report: RawFuzzReport = { requests: 0, statuses: {} }
  const property = fc.asyncProperty(rawRequest(operations, fixtures), async (request) => {
    const reply = await sendRaw(port, request.bytes)
    report.requests++
    const status = String(reply?.statusCode ?? 'closed')
    report.statuses[status] = (report.statuses[status] ?? 0) + 1
    const shown = () => `${JSON.stringify(request.bytes.toString('latin1').slice(0, 600))}\n→ ${JSON.stringify(reply)?.slice(0, 1500)}`
    // Every request is answered: CONNECT too (plugins/http/client-error.ts), and Upgrade is served as a plain request.
    if (reply === null) throw new Error(`connection closed without a reply:\n${shown()}`)
    if (reply.statusCode >= 500 && reply.statusCode !== 503) throw new Error(`status ${reply.statusCode}:\n${shown()}`)
    if (reply.statusCode < 400) return
    // Without a readable method the refused bytes name no path: the root's dialect answers.
    const family = /^[A-Z]+$/.test(request.method) ? familyOf(request.path) : 'admin'
    const problem = errorShapeProblem(family, reply, request.method)
    if (problem) throw new Error(`${reply.statusCode} not in the family's error shape: ${problem}\n${shown()}`)
  })
  try {
    await fc.assert(property, { seed: options.seed, numRuns: options.runs, endOnFailure: true, ...(options.path ? { path: options.path } : {}) })
  } catch (error) {
    const path = /path: "([^"]*)"/.exec(String(error))?.[1]
    const cause = (error as Error).cause
    throw new Error(`Raw fuzzing failed; replay with FUZZ_SEED=${options.seed}${path === undefined ? '' : ` FUZZ_PATH=${path}`}\n${cause instanceof Error ? cause.message : String(error)}`)
  }
  return report
}
