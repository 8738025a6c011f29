import type { PasswordHasher } from '../core/credentials.js'
import { parsePasswordHash } from '../core/password-hashes.js'
import type { Database } from '../db/database.js'
import { replacePasswordHash } from '../db/repositories/users.js'
import { audited, type AuditContext } from './audit.js'

/**
 * After a login verified `password` against `storedHash`: replaces a hash in another format (one
 * an import brought: bcrypt, PBKDF2, argon2i) or at another cost by argon2id at the configured
 * cost, and records it. Nothing is written when the hash is already Tessera's own.
 */
export async function upgradePasswordHash (db: Database, passwords: PasswordHasher, context: AuditContext, user: { id: string, accountId: string, storedHash: string }, password: string): Promise<void> {
  if (!passwords.needsRehash(user.storedHash)) return
  const previous = parsePasswordHash(user.storedHash)
  try {
    const fresh = await passwords.hash(password)
    await audited(db, context, (trx) => replacePasswordHash(trx, user.id, user.storedHash, fresh), (replaced) => replaced
      ? { kind: 'user.password-rehashed', accountId: user.accountId, object: { type: 'user', id: user.id }, details: { from: previous?.scheme === 'argon2' ? previous.variant : previous?.scheme } }
      : undefined)
  } catch (error) {
    // The login itself succeeded: a failed upgrade is tried again at the next one.
    context.log?.warn({ err: error, userId: user.id }, 'password hash not upgraded; the next login tries again')
  }
}
