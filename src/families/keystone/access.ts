import { renderCatalog, type CatalogService } from '../../core/catalog.js'
import { memo } from '../../core/bounded-memo.js'
import { sha256 } from '../../core/secrets.js'
import type { Config } from '../../config.js'
import type { Session } from '../../services/sessions.js'
import type { Access } from './schemas.js'

/** Keystone Pike timestamps: UTC, six fractional digits, `Z` (spec §0.7). */
export function keystoneTime (date: Date): string {
  // toISOString is always `…T12:34:56.789Z` for the years a token can have.
  return `${date.toISOString().slice(0, -1)}000Z`
}

// A validation answers with the same few role ids and catalogs again and again: each is worked
// out once.
const roleIds = new Map<string, string>()
/** Role ids are stable names' hashes: metadata.roles must list ids in user.roles order. */
export function roleId (name: string): string {
  return memo(roleIds, name, () => sha256(`role:${name}`).toString('hex').slice(0, 32))
}

/** Rendered catalogs of each template, by account and base URL; shared, so never mutated. */
const catalogs = new WeakMap<Config['catalog'], Map<string, readonly CatalogService[]>>()

export function catalogFor (session: Session, config: Config, baseUrl: string): readonly CatalogService[] {
  const account = session.account
  if (!account) return []
  let rendered = catalogs.get(config.catalog)
  if (!rendered) catalogs.set(config.catalog, rendered = new Map())
  return memo(rendered, `${account.id}\n${account.name}\n${config.catalogRegion}\n${baseUrl}`,
    () => renderCatalog(config.catalog, { baseUrl, tenantId: account.id, tenantName: account.name, region: config.catalogRegion }))
}

/** Stand-ins for what differs between the sessions of one holder: where each goes in the rendered text. */
const STAND_INS = ['"@tessera:token-id@"', '"@tessera:issued-at@"', '"@tessera:expires@"', '["@tessera:audit-id@"]'] as const
const standIn = (index: 0 | 1 | 2) => JSON.parse(STAND_INS[index]) as string

/**
 * The access document's text around the stand-ins (null when a stand-in is not found exactly
 * once), by the objects that hold what it shows: the catalog template, the session's user,
 * tenant and roles (shared by every session of the same holder, services/sessions.ts), then the
 * region and base URL. Keyed by identity, so nothing can be mistaken for another holder's; when
 * a holder's objects go, their templates go with them.
 */
type Templates = Map<string, readonly string[] | null>
const templates = new WeakMap<object, WeakMap<object, WeakMap<object, WeakMap<object, Templates>>>>()
const UNSCOPED = {}

function within<K extends object, V> (map: WeakMap<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) map.set(key, value = make())
  return value
}

function templatesOf (session: Session, config: Config): Templates {
  const byUser = within(templates, config.catalog, () => new WeakMap())
  const byAccount = within(byUser, session.user, () => new WeakMap())
  const byRoles = within(byAccount, session.account ?? UNSCOPED, () => new WeakMap())
  return within(byRoles, session.roles, () => new Map())
}

/**
 * A validated session's access document as sent. Every API call of every service validates its
 * token, so the same text is made again and again: all but the token's own fields (id, times,
 * audit ids) depends only on its holder, tenant, roles and base URL, and is rendered once for
 * them (by `serialize`, the route's serialiser) with stand-ins in those fields, shared by every
 * session alike; a request only fills them in. Nothing is kept per session. A name that holds a
 * stand-in's text (it would be found twice) is rendered whole instead, as is any text whose
 * stand-ins are out of this order.
 */
export function renderAccess (session: Session, tokenId: string, config: Config, baseUrl: string, serialize: (access: Access) => string): string {
  const template = memo(templatesOf(session, config), `${config.catalogRegion}\n${baseUrl}`, () => {
    const blank: Session = { ...fieldsOf(session), auditIds: JSON.parse(STAND_INS[3]) as string[] }
    const access = accessDocument(blank, standIn(0), catalogFor(session, config, baseUrl))
    access.access.token.issued_at = standIn(1)
    access.access.token.expires = standIn(2)
    const text = serialize(access)
    if (STAND_INS.some((each) => text.split(each).length !== 2)) return null
    const parts = []
    let rest = text
    for (const each of STAND_INS) {
      const at = rest.indexOf(each)
      if (at === -1) return null
      parts.push(rest.slice(0, at))
      rest = rest.slice(at + each.length)
    }
    return [...parts, rest]
  })
  if (template === null) return serialize(accessDocument(session, tokenId, catalogFor(session, config, baseUrl)))
  return template[0]! + JSON.stringify(tokenId) + template[1]! + `"${keystoneTime(session.issuedAt)}"` + template[2]! +
    `"${keystoneTime(session.expiresAt)}"` + template[3]! + JSON.stringify(session.auditIds) + template[4]!
}

/** A session's fields as a plain object (a stored session's times and audit ids are getters). */
function fieldsOf (session: Session): Session {
  const { auditId, auditIds, method, user, account, homeAccountId, roles, issuedAt, expiresAt } = session
  return { auditId, auditIds, method, user, account, homeAccountId, roles, issuedAt, expiresAt }
}

/** The `access` document of POST /v2.0/tokens and GET /v2.0/tokens/{id} (spec §3.3). */
export function accessDocument (session: Session, tokenId: string, catalog: readonly CatalogService[]): Access {
  const token: Access['access']['token'] = {
    id: tokenId,
    issued_at: keystoneTime(session.issuedAt),
    expires: keystoneTime(session.expiresAt),
    audit_ids: session.auditIds
  }
  if (session.account) token.tenant = { id: session.account.id, name: session.account.name, description: null, enabled: true }
  return {
    access: {
      token,
      serviceCatalog: catalog.map((service) => ({ ...service, endpoints_links: [] })),
      user: {
        id: session.user.id,
        name: session.user.name,
        username: session.user.name,
        roles: session.roles.map((name) => ({ name })),
        roles_links: []
      },
      metadata: { is_admin: 0, roles: session.roles.map(roleId) }
    }
  }
}
