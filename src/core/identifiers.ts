import { randomUUID } from 'node:crypto'

/**
 * The rules migrations/0001_identity.sql enforces on identity data, shared by every way in
 * (configuration, admin API, CLI) so each can refuse bad input in its own words first.
 */

/** Account ids and role names: opaque path segments (Rackspace tenants may hold `:`). */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._:-]{1,64}$'
/**
 * User ids are lowercase UUID v4 (migrations/0004): NetApp Astra's schema accepts nothing
 * else in its paths and resources.
 */
export const USER_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
/** Account and user names, in characters. */
export const NAME_MAX_LENGTH = 64
export const EMAIL_MAX_LENGTH = 254

/** A new user id, or a generated account id (which Astra's paths can then carry too). */
export function newUuid (): string {
  return randomUUID()
}
