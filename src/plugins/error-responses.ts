import type { TSchema } from 'typebox'

/**
 * A route's error responses for OpenAPI and serialisation: each status with its family's
 * error body, either one schema for all or one per status (with its own example).
 */
export function errorResponses<S extends TSchema> (body: S | ((status: number) => S), ...statuses: number[]): Record<number, S> {
  return Object.fromEntries(statuses.map((status) => [status, typeof body === 'function' ? body(status) : body]))
}
