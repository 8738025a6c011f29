import { routedPath, empty, json, template, type Expectation, type FamilyContract, type Observed } from '../contract.js'
import { schemaErrors } from '../schema-registry.js'

/**
 * NetApp Astra user tokens: the published token schemas (test/families/astra/astra-tokens.openapi.json,
 * spec §B0), for the user-scoped paths and their group-scoped twins (§B0).
 */
const schema = (name: string) => `astra#/components/schemas/${name}`
const RESOURCE_MEDIA = /^application\/(astra-token\+)?json(;|$)/
const PROBLEM_MEDIA = /^application\/problem\+json(;|$)/
const COLLECTIONS = ['/accounts/{account_id}/core/v1/users/{user_id}/tokens', '/accounts/{account_id}/core/v1/groups/{group_id}/users/{user_id}/tokens']

/**
 * §B1's table: the problems each operation may return. Tessera's documented choices
 * (docs/compatibility.md) add 12 "Invalid headers" where a body is read, and 2 on PUT and DELETE
 * for an unknown account or user (§B1 lists 2 only for the collection's operations and GET).
 */
const OPERATIONS: Array<[string, RegExp[], Record<number, Expectation>, number[]]> = [
  ['POST', COLLECTIONS.map(template), { 201: json(schema('token_1.0_post_response_body'), RESOURCE_MEDIA) }, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['GET', COLLECTIONS.map(template), { 200: json(schema('token_1.0_list_response_body'), RESOURCE_MEDIA) }, [2, 3, 4, 5, 6, 11]],
  ['GET', COLLECTIONS.map((path) => template(`${path}/{token_id}`)), { 200: json(schema('token_1.0_get_response_body'), RESOURCE_MEDIA) }, [2, 3, 4, 5, 6, 11]],
  ['PUT', COLLECTIONS.map((path) => template(`${path}/{token_id}`)), { 204: empty }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['DELETE', COLLECTIONS.map((path) => template(`${path}/{token_id}`)), { 204: empty }, [1, 2, 3, 4, 5, 6, 11]]
]

function problem (allowed: number[] | undefined): Expectation {
  return json('astra-problem#/definitions/problem', PROBLEM_MEDIA, (body, observed) => {
    const wrong: string[] = []
    if (body.status !== String(observed.status)) wrong.push(`/status ${JSON.stringify(body.status)} is not "${observed.status}"`)
    if (body.correlationID !== observed.headers['x-correlation-id']) wrong.push('/correlationID differs from X-Correlation-ID')
    const number = Number(/^https:\/\/astra\.netapp\.io\/problems\/(\d+)$/.exec(body.type)?.[1])
    // The catalogued problems against their published schemas, title and detail included.
    const catalogued = number >= 1 && number <= 11
    wrong.push(...schemaErrors(catalogued ? schema(`astra_problem_detail_${number}`) : 'astra-problem#/definitions/uncatalogued', body))
    // A body sent to GET or DELETE is still parsed: malformed JSON is 7, another media type 12 (not in §B1's table).
    const headers = observed.requestHeaders
    const sentBody = headers['content-type'] !== undefined || headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0
    const bodyProblems = sentBody ? [7, 12] : []
    if (allowed && number && !allowed.includes(number) && !bodyProblems.includes(number)) wrong.push(`/type problem ${number} is not one §B1 lists for ${observed.method} (${allowed.join(', ')})`)
    return wrong
  })
}

export const astraContract: FamilyContract = {
  name: 'astra',
  owns: (path) => path === '/accounts' || path.startsWith('/accounts/'),
  expect ({ method, path: given, status }: Observed) {
    const path = routedPath(given)
    if (method === 'HEAD') return empty
    const found = OPERATIONS.find(([m, patterns]) => m === method && patterns.some((pattern) => pattern.test(path)))
    if (status >= 400) return problem(found?.[3])
    if (!found) return `${method} ${path} answers ${status}, but no Astra token operation is described there`
    return found[2][status] ?? `${method} ${path}: status ${status} is not described (${Object.keys(found[2]).join(', ')})`
  }
}
