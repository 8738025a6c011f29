import { routedPath, codeIsStatus, empty, json, template, type Expectation, type FamilyContract, type Observed } from '../contract.js'

/** Rackspace Cloud Monitoring v1.0 agent tokens: monitoring-v1.schema.json, spec §10. */
const schema = (name: string) => `monitoring-v1#/definitions/${name}`
const collection = '/v1.0/{tenantId}/agent_tokens'
const one = `${collection}/{tokenId}`

const OPERATIONS: Array<[string, RegExp, Record<number, Expectation>]> = [
  // §10.6 create: 201, empty body, Location and X-Object-ID.
  ['POST', template(collection), { 201: empty }],
  ['GET', template(collection), { 200: json(schema('agentTokenList')) }],
  ['GET', template(one), { 200: json(schema('agentToken')) }],
  ['PUT', template(one), { 204: empty }],
  ['DELETE', template(one), { 204: empty }]
]

/** §10.3: the integer code is the status, and txnId the X-Response-Id header. */
const error = json(schema('error'), undefined, (body, observed) => [
  ...codeIsStatus(body, observed),
  ...(body.txnId === observed.headers['x-response-id'] ? [] : ['/txnId differs from X-Response-Id'])
])

export const monitoringContract: FamilyContract = {
  name: 'monitoring',
  owns: (path) => path === '/v1.0' || path.startsWith('/v1.0/'),
  expect ({ method, path: given, status }: Observed) {
    const path = routedPath(given)
    if (method === 'HEAD') return empty
    if (status >= 400) return error
    const found = OPERATIONS.find(([m, pattern]) => m === method && pattern.test(path))
    if (!found) return `${method} ${path} answers ${status}, but no Monitoring agent-token operation is described there`
    return found[2][status] ?? `${method} ${path}: status ${status} is not described (${Object.keys(found[2]).join(', ')})`
  }
}
