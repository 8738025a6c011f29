import { renderCatalog, type CatalogService } from '../../core/catalog.js'
import { sha256 } from '../../core/secrets.js'
import type { Config } from '../../config.js'
import type { Session } from '../../services/sessions.js'
import type { Access } from './schemas.js'

/** Keystone Pike timestamps: UTC, six fractional digits, `Z` (spec §0.7). */
export function keystoneTime (date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Role ids are stable names' hashes: metadata.roles must list ids in user.roles order. */
export function roleId (name: string): string {
  return sha256(`role:${name}`).toString('hex').slice(0, 32)
}

export function catalogFor (session: Session, config: Config, baseUrl: string): CatalogService[] {
  if (!session.account) return []
  return renderCatalog(config.catalog, { baseUrl, tenantId: session.account.id, tenantName: session.account.name, region: config.catalogRegion })
}

/** The `access` document of POST /v2.0/tokens and GET /v2.0/tokens/{id} (spec §3.3). */
export function accessDocument (session: Session, tokenId: string, catalog: CatalogService[]): Access {
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
