import type { App } from '../../src/app.js'

/** One route of the OpenAPI document, as much of it as the fuzzer uses. */
export interface Operation {
  method: string
  /** The templated path, `{name}` for each parameter. */
  path: string
  query: string[]
  headers: string[]
  /** The JSON schema of a JSON request body, if the route documents one. */
  body: Record<string, unknown> | undefined
  /** The statuses the route documents. */
  statuses: number[]
}

/** Every operation the app's own /openapi.json lists. */
export async function listOperations (app: App): Promise<Operation[]> {
  const document = (await app.inject({ url: '/openapi.json' })).json()
  const operations: Operation[] = []
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const parameters: Array<{ in: string, name: string }> = operation.parameters ?? []
      const content = operation.requestBody?.content ?? {}
      operations.push({
        method: method.toUpperCase(),
        path,
        query: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
        headers: parameters.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name),
        body: (content['application/json'] ?? Object.values<any>(content)[0])?.schema,
        statuses: Object.keys(operation.responses ?? {}).map(Number)
      })
    }
  }
  return operations
}
