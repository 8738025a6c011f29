import { inTransaction } from '../../services/audit.js'
import { newAccessor } from '../../core/accessors.js'
import { HOST_API_KEY_PREFIX } from './accessors.js'
import { Forbidden, Unauthenticated } from '../../core/errors.js'
import { sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { findAccountById } from '../../db/repositories/accounts.js'
import { argumentError, parameterMissing } from './errors.js'
import type { Params } from './params.js'
import * as repo from './repository.js'
import { hostKeySealingContext, newConjurSecret } from './secrets.js'

/** A host as POST /host_factories/hosts answers it (spec §A3), keys in Conjur's order. */
export interface HostView {
  created_at: string
  id: string
  owner: string
  permissions: never[]
  annotations: Array<{ name: string, value: string }>
  restricted_to: never[]
  api_key: string
}

const MAX_HOST_ID_LENGTH = 255
const MAX_ANNOTATIONS = 100

/** `2017-08-07T22:30:00.145+00:00`: milliseconds and an explicit offset, as Conjur writes created_at. */
function conjurTimestamp (instant: Date): string {
  return instant.toISOString().replace(/Z$/, '+00:00')
}

/** Steps 5 and 6 of §A3: present and not blank, then not under `conjur/`. */
function hostIdOf (value: unknown): string {
  const id = typeof value === 'number' ? String(value) : value
  if (typeof id !== 'string' || id.trim() === '') throw parameterMissing('id')
  // eslint-disable-next-line no-control-regex
  if (id.startsWith('conjur/') || id.startsWith('/conjur/') || id.length > MAX_HOST_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    throw argumentError(`Invalid id: ${id}`)
  }
  return id
}

/** `annotations[name]=value`: an object whose values are kept as strings. */
function annotationsOf (value: unknown): Record<string, string> {
  if (value === undefined || value === null || value === '') return {}
  if (typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length > MAX_ANNOTATIONS) {
    throw argumentError("Invalid value for parameter 'annotations'")
  }
  return Object.fromEntries(Object.entries(value).map(([name, text]) => [name, typeof text === 'string' ? text : JSON.stringify(text)]))
}

function view (accountName: string, host: repo.HostRecord, factoryId: string, apiKey: string): HostView {
  return {
    created_at: conjurTimestamp(host.created_at),
    id: `${accountName}:host:${host.id}`,
    owner: `${accountName}:host_factory:${factoryId}`,
    permissions: [],
    annotations: Object.entries(host.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
    restricted_to: [],
    api_key: apiKey
  }
}

/** A host as Conjur shows it after enrolment, and its new API key's accessor. */
export interface EnrolledHost {
  view: HostView
  apiKeyAccessor: string
}

/**
 * POST /host_factories/hosts after the token was accepted (steps 5 to 8 of §A3): creates the
 * host, owned by the factory, in each of its layers; or rotates the API key of a host this
 * factory owns (403 for any other). One transaction; a host being created by a parallel
 * request is waited for and then rotated.
 */
export async function enrolHost (db: Database, box: SecretBox, factory: { accountId: string, id: string }, params: Params): Promise<EnrolledHost> {
  const hostId = hostIdOf(params.id)
  const annotations = annotationsOf(params.annotations)
  const apiKey = newConjurSecret()
  const key = { hash: sha256(apiKey), sealed: box.seal(apiKey, hostKeySealingContext(factory.accountId, hostId)), accessor: newAccessor(HOST_API_KEY_PREFIX) }
  return inTransaction(db, async (trx) => {
    // A disabled account's tokens are as good as unknown.
    const account = await findAccountById(trx, factory.accountId)
    if (!account?.enabled) throw new Unauthenticated()
    let host = await repo.findHost(trx, factory.accountId, hostId, { lock: true })
    if (!host) {
      host = await repo.insertHost(trx, { account_id: factory.accountId, id: hostId, annotations, owner_host_factory_id: factory.id, api_key_hash: key.hash, api_key_sealed: key.sealed, api_key_accessor: key.accessor })
      if (host) {
        const layers = (await repo.layersOf(trx, factory.accountId, [factory.id])).get(factory.id) ?? []
        await repo.addHostToLayers(trx, factory.accountId, hostId, layers)
        return { view: view(account.name, host, factory.id, apiKey), apiKeyAccessor: key.accessor }
      }
      // Created meanwhile by another request: now it exists, so this is a rotation.
      host = await repo.findHost(trx, factory.accountId, hostId, { lock: true })
    }
    if (!host || host.owner_host_factory_id !== factory.id) throw new Forbidden()
    await repo.replaceHostApiKey(trx, factory.accountId, hostId, key)
    return { view: view(account.name, host, factory.id, apiKey), apiKeyAccessor: key.accessor }
  })
}
