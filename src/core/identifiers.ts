/**
 * The rules migrations/0001_identity.sql enforces on identity data, shared by every way in
 * (configuration, admin API, CLI) so each can refuse bad input in its own words first.
 */

/** Account ids and role names: opaque path segments (Rackspace tenants may hold `:`). */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._:-]{1,64}$'
/** Account and user names, in characters. */
export const NAME_MAX_LENGTH = 64
export const EMAIL_MAX_LENGTH = 254
