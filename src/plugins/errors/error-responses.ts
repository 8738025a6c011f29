import type { TSchema } from 'typebox'

/**
 * A route's error responses for OpenAPI and serialisation: each status with its family's
 * error body, either one schema for all or one per status (with its own example). An operation
 * that may answer 503 may answer 429 too: the request-rate limit (RATE_LIMIT_MAX) covers every
 * route, so every API operation documents it.
 */
export function errorResponses<S extends TSchema> (body: S | ((status: number) => S), ...statuses: number[]): Record<number, S> {
  const all = statuses.includes(503) && !statuses.includes(429) ? [...statuses, 429] : statuses
  return Object.fromEntries(all.map((status) => [status, typeof body === 'function' ? body(status) : body]))
}
