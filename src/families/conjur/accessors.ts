/** The accessor prefixes of the family's stored credentials (core/accessors.ts). */
export const HOST_FACTORY_TOKEN_PREFIX = 'hft'
export const HOST_API_KEY_PREFIX = 'hak'
