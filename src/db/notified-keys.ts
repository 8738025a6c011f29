/**
 * The shapes of the cache keys the database's triggers notify on the credentials channel: a
 * notification drops the cache entries its payload names, so each key is built here in the
 * shape its trigger function writes it. The migrations are frozen SQL and cannot import this
 * file: test/db/notified-keys.test.ts makes each trigger fire and compares its payload with
 * what the families build from these.
 */

/** The payload that drops every entry: a user, an account or a role changed (migrations 0008, 0011). */
export const EVERY_KEY = '*'

/** `<prefix><hex of hash>`: what tessera_notify_session_change and tessera_notify_user_token_change send. */
export function hashKey (prefix: string, hash: Uint8Array): string {
  return prefix + Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')
}

/**
 * `<prefix><first>/<second>`: what tessera_notify_read_change sends of a row's two columns
 * (migration 0012), and tessera_notify_host_change of a host (`<account>/host/<id>`, 0011).
 */
export function pairKey (prefix: string, first: string, second: string): string {
  return `${prefix}${first}/${second}`
}
