import { renderCatalog, type CatalogService } from '../../core/catalog.js'
import { RenderedOnce } from '../../core/rendered-once.js'
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
// out once. Bounded: a map that grows past its cap starts over.
const MEMO_CAP = 10_000
function memo<T> (map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key)
  if (value === undefined) {
    if (map.size >= MEMO_CAP) map.clear()
    value = make()
    map.set(key, value)
  }
  return value
}

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

/**
 * A validated session's access document as sent, by base URL. Every API call of every service
 * validates its token, so the same cached session is rendered again and again: once is enough.
 */
export const renderedAccess = new RenderedOnce<Session, string>()

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
