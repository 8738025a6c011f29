import { empty, routedPath, JSON_MEDIA, json, template, type Expectation, type FamilyContract, type Observed } from '../contract.js'
import { CONJUR_DOCUMENT, schemaErrors } from '../schema-registry.js'

/**
 * CyberArk Conjur: the published extract (schemas/conjur-host-factory.openapi.yml) for the
 * operations it describes, conjur-behaviour.schema.json (spec Part A) for what it leaves out, and
 * an allow-list naming the operations no published document in the repository describes.
 */

const V2_MEDIA = 'application/x.secretsmgr.v2beta+json'
const TEXT_MEDIA = /^text\/plain(;|$)/
const behaviour = (name: string) => `conjur-behaviour#/definitions/${name}`

/** `#/components/...` of the document as an Ajv reference into it; inline schemas are not used by the extract's bodies. */
function resolve (node: any): any {
  return typeof node?.$ref === 'string' ? resolve(node.$ref.slice(2).split('/').reduce((at: any, key: string) => at[key], CONJUR_DOCUMENT)) : node
}

/** The extract's response for one status as an expectation: its media type's schema, or no body. */
function published (response: any): Expectation {
  const content = resolve(response).content as Record<string, { schema: any }> | undefined
  if (!content) return empty
  const [mediaType, { schema }] = Object.entries(content)[0]!
  const ref = typeof schema.$ref === 'string' ? `conjur${schema.$ref}` : undefined
  if (mediaType === 'text/plain') return { body: 'text', mediaType: TEXT_MEDIA, ref }
  return json(ref!, new RegExp(`^${mediaType.replace(/[+.]/g, '\\$&')}(;|$)`))
}

interface Operation {
  method: string
  pattern: RegExp
  /** Success statuses and their bodies; errors follow §A0.2–A0.3 whatever the extract says. */
  responses: Record<number, Expectation>
  source: string
}

const OPERATIONS: Operation[] = Object.entries(CONJUR_DOCUMENT.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
  Object.entries(item).filter(([method]) => method !== 'parameters').map(([method, operation]) => ({
    method: method.toUpperCase(),
    pattern: template(path),
    responses: Object.fromEntries(Object.entries(operation.responses as Record<string, unknown>)
      .filter(([status]) => Number(status) < 400).map(([status, response]) => [Number(status), published(response)])),
    source: `conjur-host-factory.openapi.yml ${operation.operationId}`
  })))

/**
 * getAccessToken: the extract says text/plain; Conjur v1.24.0 answers the access-token JSON, or
 * its base64 under `Accept-Encoding: base64` (spec §A6; the extract's description names this).
 */
const authenticate = OPERATIONS.find((operation) => operation.source.endsWith('getAccessToken'))!
authenticate.responses[200] = json(behaviour('accessToken'))
const authenticateBase64: Expectation = { body: 'text', mediaType: TEXT_MEDIA, base64Json: behaviour('accessToken') }

/** createToken: the published array, and each token as §A1 renders it (UTC `Z`, whole seconds; Crockford base32). */
const createToken = OPERATIONS.find((operation) => operation.source.endsWith('createToken'))!
createToken.responses[200] = json('conjur#/components/schemas/CreateHostToken', JSON_MEDIA, (tokens: unknown[]) =>
  tokens.flatMap((token, index) => schemaErrors(behaviour('hostFactoryToken'), token).map((problem) => `/${index}${problem}`)))

/** §A4: a host factory as the resource show renders it (not in the extract); the show's other kinds answer only errors here. */
OPERATIONS.push(
  { method: 'GET', pattern: template('/resources/{account}/host_factory/{identifier}'), responses: { 200: json(behaviour('hostFactory')) }, source: 'conjur-astra.md §A4' },
  { method: 'GET', pattern: /^\/resources\/[^/]+\/[^/]+\/.+$/, responses: {}, source: 'conjur-astra.md §A4 (host factories only)' }
)

/**
 * Operations of issue 23 (items 1–4) that no published document in the repository describes:
 * their success bodies go unchecked, by name; their errors are still checked as §A0.3 says.
 */
export const UNDESCRIBED_CONJUR_OPERATIONS: Array<{ name: string, method: string, pattern: RegExp, when?: (observed: Observed) => boolean, respond?: (observed: Observed) => Expectation | string | undefined }> = [
  {
    name: 'resources#check_permission (issue 23 item 1): 204, or 404 with no body (an invisible resource: the error body)',
    method: 'GET',
    pattern: template('/resources/{account}/{kind}/{identifier}'),
    when: (observed) => observed.query.has('check'),
    respond: ({ status, body }) => {
      if (status === 204 || (status === 404 && body === '')) return empty
      // Showing the resource instead of answering was the defect: a check never succeeds otherwise.
      return status < 400 ? `a permission check answers 204 or 404, not ${status}` : undefined
    }
  },
  {
    name: 'PUT /authn/{account}/api_key (issue 23 item 3): the new key as the published ApiKey; a 401 that explains a weak credential, a 405 for a role without a key',
    method: 'PUT',
    pattern: template('/authn/{account}/api_key'),
    respond: ({ status, body, headers }) => {
      if (status === 200) return { body: 'text', mediaType: TEXT_MEDIA, ref: 'conjur#/components/schemas/ApiKey' }
      if ((status === 401 && JSON_MEDIA.test(String(headers['content-type'] ?? ''))) || (status === 405 && body !== '')) return json(behaviour('error'), JSON_MEDIA)
      return undefined
    }
  },
  { name: 'GET /resources/{account}/host|user|layer/{id} (issue 23 item 4)', method: 'GET', pattern: /^\/resources\/[^/]+\/(host|user|layer)\/.+$/ },
  { name: 'GET /resources/{account}[/{kind}] listing (issue 23 item 4)', method: 'GET', pattern: /^\/resources\/[^/]+(\/[^/]+)?$/ },
  { name: 'GET /whoami (issue 23 item 4)', method: 'GET', pattern: template('/whoami') }
]

/** The access-token middleware's text/plain refusals (§A0.2). */
const MIDDLEWARE_401 = ['Authorization missing', 'Malformed authorization token', 'Unauthorized: Invalid token', 'token contains unrecognized claims']

/** §A0.2–A0.3: an error's body by status and Accept; outside every route, §A0.1's no-route 404. */
function error (observed: Observed, routed: boolean): Expectation {
  const { status } = observed
  const contentType = String(observed.headers['content-type'] ?? '')
  if (status === 401 && TEXT_MEDIA.test(contentType)) return { body: 'text', mediaType: TEXT_MEDIA, oneOf: MIDDLEWARE_401 }
  if (status === 403 && TEXT_MEDIA.test(contentType)) return { body: 'text', mediaType: TEXT_MEDIA, oneOf: ['IP address rejected'] }
  if (![404, 409, 422, 500, 503].includes(status)) return empty
  if (contentType.startsWith(V2_MEDIA)) return json(behaviour('v2Error'), /^application\/x\.secretsmgr\.v2beta\+json(;|$)/, (body) => body.code === String(status) ? [] : [`/code ${body.code} is not "${status}"`])
  return json(behaviour(routed || status !== 404 ? 'error' : 'routeNotFound'), JSON_MEDIA)
}

export const conjurContract: FamilyContract = {
  name: 'conjur',
  owns: (path) => ['/authn', '/host_factory_tokens', '/host_factories', '/resources', '/whoami'].some((prefix) => path === prefix || path.startsWith(`${prefix}/`)),
  expect (observed: Observed) {
    const { method, status } = observed
    const path = routedPath(observed.path)
    // Item 2 of issue 23: HEAD answers the GET's status with no body.
    if (method === 'HEAD') return empty
    const undescribed = UNDESCRIBED_CONJUR_OPERATIONS.find((entry) => entry.method === method && entry.pattern.test(path) && (entry.when?.(observed) ?? true))
    const answered = undescribed?.respond?.(observed)
    if (answered) return answered
    const found = OPERATIONS.find((operation) => operation.method === method && operation.pattern.test(path))
    if (status >= 400) return error(observed, found !== undefined)
    if (undescribed) return { body: 'unchecked', why: undescribed.name }
    if (!found) return `${method} ${path} answers ${status}, but neither the published Conjur document nor the allow-list describes it`
    if (found === authenticate && status === 200 && TEXT_MEDIA.test(String(observed.headers['content-type'] ?? ''))) return authenticateBase64
    return found.responses[status] ?? `${method} ${path}: status ${status} is not described by ${found.source}`
  }
}
