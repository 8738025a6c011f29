import { Forbidden, InvalidInput, Unauthenticated } from '../../core/errors.js'
import { verifyApiKey, type PasswordHasher } from '../../core/credentials.js'
import type { Database } from '../../db/database.js'
import { findAccountWithRoles, type AccountKey, type AccountWithRoles } from '../../db/repositories/role-assignments.js'
import { findLoginCandidate, type LoginCandidate } from '../../db/repositories/users.js'
import type { Refusal } from '../../core/refusal.js'
import { findSession, issueSession, sessionRefusal, type IssuedSession, type Session, type SessionMethod } from '../../services/sessions.js'
import { attributeTooLarge, expecting, MAX_PARAM_SIZE, MAX_PASSWORD_LENGTH, MAX_TOKEN_SIZE } from './messages.js'
import type { AuthRequest } from './schemas.js'
import { auditedInStatement, type AuditContext } from '../../services/audit.js'
import { upgradePasswordHash } from '../../services/password-upgrade.js'
import type { LoginGuard } from '../../plugins/limits/failure-limits.js'

type Auth = NonNullable<AuthRequest['auth']>
const API_KEY_CREDENTIALS = 'RAX-KSKEY:apiKeyCredentials'

interface Subject {
  user: { id: string, name: string }
  method: SessionMethod
  /** Set when re-scoping: the new token keeps its expiry and audit chain. */
  parent?: Session
  /** The tenant the login names, read with the credentials (null: no such account); undefined when not read. */
  tenant?: AccountWithRoles | null
  /** Where a login naming no tenant is scoped: Rackspace API-key logins use the user's own account. */
  defaultAccount?: AccountWithRoles | null
  /** The accessor of the stored credential the login used (an API key, a parent session): a use of it. */
  usedCredential?: string | undefined
}

/** The tenant a login names: tenantId wins over tenantName (Keystone Pike). */
interface NamedTenant {
  attribute: 'tenantId' | 'tenantName'
  value: string
  key: AccountKey
}

function invalid (message: string): InvalidInput {
  return new InvalidInput(message)
}

function checkSize (attribute: string, value: string, size: number): void {
  if (value.length > size) throw invalid(attributeTooLarge(attribute, size))
}

async function passwordSubject (db: Database, passwords: PasswordHasher, credentials: Auth['passwordCredentials'], tenant: AccountKey | null, guard: LoginGuard, context: AuditContext): Promise<Subject> {
  if (credentials?.password === undefined) throw invalid(expecting('password', 'passwordCredentials'))
  checkSize('password', credentials.password, MAX_PASSWORD_LENGTH)
  const { username, userId } = credentials
  if (!username && !userId) throw invalid(expecting('username or userId', 'passwordCredentials'))
  if (username) checkSize('username', username, MAX_PARAM_SIZE)
  if (userId) checkSize('userId', userId, MAX_PARAM_SIZE)
  // username wins over userId when both are given (Keystone's LocalAuthenticationMethod).
  const user = await findLoginCandidate(db, username ? { name: username } : { id: userId! }, tenant)
  await guard({ name: username || userId!, person: user && { userId: user.id } })
  const verified = await passwords.verify(user?.password_hash, credentials.password)
  if (!user || !verified || !user.active) throw new Unauthenticated(undefined, loginRefusal(user, verified ? 'disabled' : 'wrong-password', username || userId!))
  const actor = { kind: 'user', id: user.id, name: user.name } as const
  await upgradePasswordHash(db, passwords, { ...context, actor }, { id: user.id, accountId: user.account_id, storedHash: user.password_hash! }, credentials.password)
  return { user: { id: user.id, name: user.name }, method: 'password', tenant: user.tenant }
}

async function apiKeySubject (db: Database, credentials: Auth[typeof API_KEY_CREDENTIALS], tenant: AccountKey | 'home' | null, guard: LoginGuard): Promise<Subject> {
  if (credentials?.apiKey === undefined) throw invalid(expecting('apiKey', API_KEY_CREDENTIALS))
  if (!credentials.username) throw invalid(expecting('username', API_KEY_CREDENTIALS))
  checkSize('apiKey', credentials.apiKey, MAX_TOKEN_SIZE)
  checkSize('username', credentials.username, MAX_PARAM_SIZE)
  const user = await findLoginCandidate(db, { name: credentials.username }, tenant)
  await guard({ name: credentials.username, person: user && { userId: user.id } })
  const verified = verifyApiKey(user?.key_hash, credentials.apiKey)
  if (!user || !verified || !user.active) throw new Unauthenticated(undefined, loginRefusal(user, verified ? 'disabled' : user?.key_hash ? 'wrong-api-key' : 'no-api-key', credentials.username))
  // Rackspace scopes every API-key token to the user's account (spec §9.2): fog and the
  // monitoring agent send no tenant and need the catalog.
  const subject: Subject = { user: { id: user.id, name: user.name }, method: 'apikey', usedCredential: user.key_accessor ?? undefined }
  return tenant === 'home' ? { ...subject, defaultAccount: user.tenant } : { ...subject, tenant: user.tenant }
}

async function tokenSubject (db: Database, token: Auth['token'], now: Date, guard: LoginGuard): Promise<Subject> {
  if (!token?.id) throw invalid(expecting('id', 'token'))
  checkSize('id', token.id, MAX_TOKEN_SIZE)
  // A token names nobody until it is found: the client's own limit applies.
  await guard(null)
  // Unknown, revoked and expired tokens all read as bad credentials here (spec §3.2).
  const parent = await findSession(db, token.id, now)
  if (!parent) throw new Unauthenticated(undefined, await sessionRefusal(db, token.id, now))
  return { user: parent.user, method: 'token', parent, usedCredential: parent.auditId }
}

/** Why a login was refused: the name as given when it is the user's; only fingerprinted when it names nobody (it may be a password). */
function loginRefusal (user: LoginCandidate | undefined, reason: string, login: string): Refusal {
  if (!user) return { reason: 'unknown-user', accountId: null, unknownLogin: login }
  return { reason, accountId: user.account_id, actor: { kind: 'user', id: user.id, name: user.name }, details: { login } }
}

function namedTenant (auth: Auth): NamedTenant | null {
  const tenantId = auth.tenantId === undefined ? '' : String(auth.tenantId)
  if (tenantId !== '') return { attribute: 'tenantId', value: tenantId, key: { id: tenantId } }
  if (auth.tenantName) return { attribute: 'tenantName', value: auth.tenantName, key: { name: auth.tenantName } }
  return null
}

/**
 * The tenant a login names, with the user's roles on it (read with the credentials, else here);
 * unknown and disabled tenants are bad credentials.
 */
async function requestedTenant (db: Database, named: NamedTenant | null, subject: Subject): Promise<AccountWithRoles | null> {
  if (!named) return null
  checkSize(named.attribute, named.value, MAX_PARAM_SIZE)
  const account = subject.tenant !== undefined ? subject.tenant : await findAccountWithRoles(db, subject.user.id, named.key)
  if (!account?.enabled) throw new Unauthenticated(undefined, { reason: account ? 'tenant-disabled' : 'unknown-tenant', accountId: account?.id ?? null })
  return account
}

/** How long the new session lasts from when, and who counts a use of the credential a login used. */
export interface LoginLifetime {
  ttlSeconds: number
  now: Date
  used?: ((accessor: string) => void) | undefined
}

/**
 * POST /v2.0/tokens in Keystone's processing order (spec §3.2): shape errors (400) first,
 * then the credentials (401), then the tenant (400 for size, 401 otherwise), then roles.
 */
export async function authenticate (db: Database, passwords: PasswordHasher, body: AuthRequest | undefined, lifetime: LoginLifetime, context: AuditContext, guard: LoginGuard): Promise<IssuedSession> {
  const auth = body?.auth
  if (!auth || typeof auth !== 'object') throw invalid(expecting('auth', 'request body'))

  // A password or API-key login reads the tenant it names (and the user's roles on it) with the
  // user, in one query; a name too long is not read, and refused once the credentials are checked.
  const named = namedTenant(auth)
  const key = named && named.value.length <= MAX_PARAM_SIZE ? named.key : null
  let subject: Subject
  if (auth.token !== undefined) subject = await tokenSubject(db, auth.token, lifetime.now, guard)
  else if (auth.passwordCredentials !== undefined) subject = await passwordSubject(db, passwords, auth.passwordCredentials, key, guard, context)
  else if (auth[API_KEY_CREDENTIALS] !== undefined) subject = await apiKeySubject(db, auth[API_KEY_CREDENTIALS], named ? key : 'home', guard)
  else throw invalid(expecting('auth', 'request body'))

  let account = await requestedTenant(db, named, subject)
  if (auth.trust_id) throw new Forbidden('trusts are not supported')
  let roles = account?.roles ?? []
  if (account && roles.length === 0) throw new Unauthenticated(undefined, { reason: 'missing-role', accountId: account.id, actor: { kind: 'user', ...subject.user } })
  // Without a role on the default account the token stays unscoped.
  if (!account && subject.defaultAccount && subject.defaultAccount.roles.length > 0) {
    account = subject.defaultAccount
    roles = account.roles
  }

  const scope = account && { id: account.id, name: account.name }
  // The login names who acts; the session and the audit row of its issue are one statement.
  if (subject.usedCredential !== undefined) lifetime.used?.(subject.usedCredential)
  return auditedInStatement({ ...context, actor: { kind: 'user', ...subject.user }, actorCredential: subject.usedCredential }, (rowOf) => issueSession(db, {
    user: subject.user,
    account: scope,
    roles,
    method: subject.method,
    ttlSeconds: lifetime.ttlSeconds,
    parent: subject.parent
  }, lifetime.now, (session) => rowOf({
    kind: session.auditIds.length > 1 ? 'session.rescoped' : 'session.issued',
    accountId: scope?.id ?? null,
    object: { type: 'session', id: session.auditId },
    details: { method: session.method, userId: session.user.id, rescopedFrom: subject.parent?.auditId, expiresAt: session.expiresAt.toISOString() }
  })))
}
