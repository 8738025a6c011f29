import { codeIsStatus, empty, json, routedPath, template, type Expectation, type FamilyContract, type Observed } from '../contract.js'

/** OpenStack Keystone v2.0 (and Rackspace's token revocation): keystone-v2.schema.json, spec §0–§8. */
const schema = (name: string) => `keystone-v2#/definitions/${name}`

const OPERATIONS: Array<[string, RegExp, Record<number, Expectation>]> = [
  ['GET', template('/'), { 300: json(schema('versions')) }],
  ['GET', template('/v2.0'), { 200: json(schema('versionDocument')) }],
  ['POST', template('/v2.0/tokens'), { 200: json(schema('access')) }],
  ['GET', template('/v2.0/tokens/{tokenId}'), { 200: json(schema('access')) }],
  // §5: 200, no body, the GET's headers.
  ['HEAD', template('/v2.0/tokens/{tokenId}'), { 200: empty }],
  ['GET', template('/v2.0/tokens/{tokenId}/endpoints'), { 200: json(schema('endpoints')) }],
  ['DELETE', template('/v2.0/tokens/{tokenId}'), { 204: empty }],
  // §7: Rackspace's revocation of the caller's own token.
  ['DELETE', template('/v2.0/tokens'), { 204: empty }],
  ['GET', template('/v2.0/tenants'), { 200: json(schema('tenants')) }]
]

/** §0.2: error.code is the HTTP status. */
const error = json(schema('error'), undefined, (body, observed) => codeIsStatus(body.error, observed).map((problem) => `/error${problem}`))

export const keystoneContract: FamilyContract = {
  name: 'keystone',
  owns: (path) => path === '/' || path === '/v2.0' || path.startsWith('/v2.0/'),
  expect ({ method, path, status }: Observed) {
    // §0.5: one trailing slash is dropped before routing; fog's doubled slashes are tolerated.
    const routed = routedPath(path)
    const found = OPERATIONS.find(([m, pattern]) => (m === method || (method === 'HEAD' && m === 'GET')) && pattern.test(routed))
    if (method === 'HEAD') return empty
    if (status >= 400) return error
    if (!found) return `${method} ${routed} answers ${status}, but no Keystone v2.0 operation is described there`
    return found[2][status] ?? `${method} ${routed}: status ${status} is not described (${Object.keys(found[2]).join(', ')})`
  }
}
