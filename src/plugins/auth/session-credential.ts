import type { CredentialKind } from '../../families/family.js'
import { findSession, sessionPrincipal, sessionRefusal, SESSION_TOKEN_FORMAT } from '../../services/sessions.js'
import { recordDenial } from './denials.js'

/**
 * Sessions are the identity core's credential, as X-Auth-Token or as a bearer credential. They
 * open the APIs of the families that accept them (TokenFamily.acceptsSessions): the others take
 * only credentials of their own.
 */
export const sessionCredential = (opens: readonly string[]): CredentialKind => ({
  name: 'session',
  schemes: ['x-auth-token', 'bearer'],
  opens,
  format: SESSION_TOKEN_FORMAT,
  async resolve (secret, app, request) {
    const session = await findSession(app.db, secret, app.clock(), app.credentialCache)
    if (session) return sessionPrincipal(session)
    recordDenial(request, await sessionRefusal(app.db, secret, app.clock()))
    return null
  },
  // A session ends when revoked or purged, or when its user or an account it names changes.
  tables: ['auth_sessions', 'users', 'accounts']
})
