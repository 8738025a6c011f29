import { AssertionError } from 'node:assert'
import { appendFileSync } from 'node:fs'
import type { LightMyRequestResponse } from 'fastify'
import { violations, type FamilyContract, type Observed } from './contract.js'
import { astraContract } from './families/astra.js'
import { conjurContract } from './families/conjur.js'
import { keystoneContract } from './families/keystone.js'
import { monitoringContract } from './families/monitoring.js'

/**
 * Every response of the four APIs against a published schema (issue 23 item 6): the test app
 * runs each injected response through here, so a shape regression fails the test that made
 * the request, naming the field path. Paths no family owns (admin API, probes) are not checked.
 */
export const FAMILY_CONTRACTS: FamilyContract[] = [keystoneContract, monitoringContract, astraContract, conjurContract]

/** Responses checked (and allow-listed) per family since the last flush. */
const tally = new Map<string, number>()

/** With CONTRACT_TALLY=<file>, appends the responses checked per family (one JSON line) and starts counting anew. */
export function flushContractTally (): void {
  if (process.env.CONTRACT_TALLY && tally.size > 0) appendFileSync(process.env.CONTRACT_TALLY, `${JSON.stringify(Object.fromEntries(tally))}\n`)
  tally.clear()
}

export function observedOf (response: LightMyRequestResponse): Observed {
  const request = (response.raw as unknown as { req: { method: string, url: string, headers: Record<string, string | string[] | undefined> } }).req
  const url = new URL(request.url, 'http://localhost')
  return {
    method: request.method.toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    requestHeaders: request.headers,
    status: response.statusCode,
    headers: response.headers,
    body: response.body
  }
}

/** The family owning the response's path and what is wrong with the response, or null if no family owns it. */
export function contractViolations (observed: Observed): { family: string, problems: string[] } | null {
  const family = FAMILY_CONTRACTS.find((contract) => contract.owns(observed.path))
  if (!family) return null
  const expectation = family.expect(observed)
  if (typeof expectation === 'string') return { family: family.name, problems: [expectation] }
  const key = expectation.body === 'unchecked' ? `${family.name} allow-listed` : family.name
  tally.set(key, (tally.get(key) ?? 0) + 1)
  return { family: family.name, problems: violations(expectation, observed) }
}

/** Throws, naming the request and each field path, unless the response keeps its family's contract. */
export function assertResponseContract (response: LightMyRequestResponse): void {
  const observed = observedOf(response)
  const found = contractViolations(observed)
  if (!found || found.problems.length === 0) return
  throw new AssertionError({
    message: `${found.family} response contract broken by ${observed.method} ${observed.path}${observed.query.size > 0 ? `?${observed.query}` : ''} → ${observed.status}:\n  ${found.problems.join('\n  ')}`
  })
}
