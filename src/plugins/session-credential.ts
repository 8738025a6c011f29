import type { CredentialKind } from '../families/family.js'
import { findSession, sessionPrincipal, sessionRefusal, SESSION_TOKEN_FORMAT } from '../services/sessions.js'
import { recordDenial } from './denials.js'

/**
 * Sessions are the identity core's credential, used by every family: Keystone's X-Auth-Token,
 * and the same token as a bearer credential (the admin API, Astra).
 */
export const sessionCredential: CredentialKind = {
  name: 'session',
  schemes: ['x-auth-token', 'bearer'],
  // Not Conjur's: its routes take Conjur's own access tokens only.
  opens: ['keystone', 'agent-tokens', 'admin', 'astra'],
  format: SESSION_TOKEN_FORMAT,
  async resolve (secret, app, request) {
    const session = await findSession(app.db, secret, app.clock(), app.credentialCache)
    if (session) return sessionPrincipal(session)
    recordDenial(request, await sessionRefusal(app.db, secret, app.clock()))
    return null
  },
  // A session ends when revoked or purged, or when its user or an account it names changes.
  tables: ['auth_sessions', 'users', 'accounts']
}
