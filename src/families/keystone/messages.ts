/** Keystone's own wording (keystone/exception.py at Pike), so clients and operators see familiar text. */

const MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'
const OVERSIZED = 'The server could not comply with the request because the attribute size is invalid (too large). The client is assumed to be in error.'

/** ValidationError: `Expecting to find auth in request body. …` */
export function expecting (attribute: string, target: string): string {
  return `Expecting to find ${attribute} in ${target}. ${MALFORMED}`
}

/** ValidationSizeError: `Request attribute password must be less than or equal to 4096. …` */
export function attributeTooLarge (attribute: string, size: number): string {
  return `Request attribute ${attribute} must be less than or equal to ${size}. ${OVERSIZED}`
}

export const UNAUTHORIZED = 'The request you have made requires authentication.'
export const FORBIDDEN = 'You are not authorized to perform the requested action.'
export const UNEXPECTED = 'An unexpected error prevented the server from fulfilling your request.'
export const TOO_LARGE = 'Request is too large.'
export const TOKEN_NOT_VALID = 'Failed to validate token'

/** Keystone's limits ([DEFAULT] max_param_size, [DEFAULT] max_token_size, [identity] max_password_length). */
export const MAX_PARAM_SIZE = 64
export const MAX_TOKEN_SIZE = 255
export const MAX_PASSWORD_LENGTH = 4096
/** oslo.middleware sizelimit's default max_request_body_size. */
export const MAX_REQUEST_BODY_BYTES = 114688
