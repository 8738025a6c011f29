import { NO_EXPIRY, readThrough, type ReadCache } from '../../core/notified-cache.js'
import { RenderedOnce } from '../../core/rendered-once.js'
import type { SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import type { Caller } from './caller.js'
import { ConjurNotFound } from './errors.js'
import { permissionRole, roleId } from './host-factories.js'
import * as repo from './repository.js'
import { factoryCacheKey, factoryViewKey } from './cache-keys.js'
import { tokenView, visibleResource, type TokenView } from './tokens.js'

/** A host factory as GET /resources shows it (spec §A4), tokens in clear. */
export interface HostFactoryResource {
  created_at: string
  id: string
  owner: string | null
  permissions: Array<{ privilege: string, role: string }>
  annotations: never[]
  layers: string[]
  tokens: TokenView[]
}

/** What GET /resources shows of a host factory, as stored (its tokens sealed). */
export interface StoredFactory {
  factory: repo.HostFactoryRecord
  layers: readonly string[]
  permissions: readonly repo.PermissionRecord[]
  tokens: readonly repo.TokenRecord[]
}

async function readFactory (db: Database, accountId: string, factoryId: string): Promise<StoredFactory | undefined> {
  const factory = await repo.findHostFactory(db, accountId, factoryId)
  if (!factory) return undefined
  // Independent reads: on a pool they overlap.
  const [layersByFactory, permissions, tokens] = await Promise.all([
    repo.layersOf(db, accountId, [factory.id]), repo.permissionsOf(db, accountId, [factory.id]), repo.tokensOf(db, accountId, factory.id)
  ])
  return { factory, layers: layersByFactory.get(factory.id) ?? [], permissions, tokens }
}

/** GET /resources/{account}/{kind}/{id}: host factories only; anything invisible or else is 404. */
export async function showResource (db: Database, box: SecretBox, caller: Caller, account: string, kind: string, identifier: string, reads?: ReadCache): Promise<HostFactoryResource> {
  const fullId = `${account}:${kind}:${identifier}`
  const resource = await visibleResource(db, caller, fullId, reads)
  if (resource.kind !== 'host_factory') throw new ConjurNotFound(fullId)
  const accountId = caller.account.id
  const accountName = caller.account.name
  // Shown in full, tokens included, so no part of it expires by itself.
  const stored = await readThrough(reads, factoryViewKey(accountId, resource.factoryId), async () => {
    const found = await readFactory(db, accountId, resource.factoryId)
    return found && { value: found, expiresAt: NO_EXPIRY }
  }, factoryCacheKey(accountId, resource.factoryId))
  if (!stored) throw new ConjurNotFound(fullId)
  return views.get(stored, accountName, () => hostFactoryView(box, stored, accountName))
}

/**
 * A cached factory's view, made once while the read cache holds it: its tokens are opened
 * (decrypted) once, not on every read. By account name, which the role ids carry.
 */
const views = new RenderedOnce<StoredFactory, HostFactoryResource>()

/** A host factory as Conjur shows it, its tokens opened; by account name, which the role ids carry. */
export function hostFactoryView (box: SecretBox, { factory, layers, permissions, tokens }: StoredFactory, accountName: string): HostFactoryResource {
  return {
    created_at: factory.created_at.toISOString().replace(/Z$/, '+00:00'),
    id: roleId(accountName, 'host_factory', factory.id),
    owner: factory.owner_user_name !== null
      ? roleId(accountName, 'user', factory.owner_user_name)
      : factory.owner_host_id !== null ? roleId(accountName, 'host', factory.owner_host_id) : null,
    permissions: permissions.map((permission) => ({ privilege: permission.privilege, role: permissionRole(accountName, permission) })),
    annotations: [],
    layers: layers.map((layer) => roleId(accountName, 'layer', layer)),
    tokens: tokens.map((token) => tokenView(box, token))
  }
}
