import { Type, type Static } from 'typebox'
import { parseRfc3339 } from '../../core/rfc3339.js'
import { sha256 } from '../../core/secrets.js'
import { findMemberIdByName } from '../../db/repositories/memberships.js'
import { existingAccountIds } from '../../db/repositories/transfer-import.js'
import { base64, hex, iso, walk } from '../../services/transfer/export.js'
import { AccountId, accessor, Instant, line, LineProblem, Maker, Name, Secret } from '../../services/transfer/format.js'
import { eachInTurn, failed, imported, instant, newAccessor, openSealed, quoted, secretOf, SKIPPED, type Importer } from '../../services/transfer/importers.js'
import { section, type FamilyTransfer } from '../../services/transfer/section.js'
import { InvalidCidr, normaliseCidr } from './cidr.js'
import { addHostToLayers, ensureLayers, findHost, findHostFactory, grantPermission } from './repository.js'
import { CONJUR_SECRET_FORMAT, hostKeySealingContext, tokenSealingContext } from './secrets.js'
import * as repo from './transfer-repository.js'

/**
 * Conjur's lines of the export format (services/transfer): host factories and hosts among the
 * objects (hosts after host factories, which they may own), host factory tokens among the credentials.
 */

const FactoryId = Type.String({ pattern: '^[A-Za-z0-9._@/-]{1,128}$' })
const Privilege = Type.Union([Type.Literal('read'), Type.Literal('execute'), Type.Literal('update')])

const HostFactoryLineSchema = line('host-factory', {
  account: AccountId,
  id: FactoryId,
  owner: Type.Optional(Type.Union([Type.Object({ user: Name }, { additionalProperties: false }), Type.Null()])),
  layers: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  permissions: Type.Optional(Type.Array(Type.Object({ user: Name, privilege: Privilege }, { additionalProperties: false }), { maxItems: 10_000 })),
  createdAt: Type.Optional(Instant)
})

const HostLineSchema = line('host', {
  account: AccountId,
  // migrations/0007: 1 to 255 characters, no control character.
  id: Type.String({ pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]{1,255}$' }),
  annotations: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 4096 }), { maxProperties: 256 })),
  layers: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  /** The host factory that enrolled the host. */
  hostFactory: Type.Optional(Type.Union([FactoryId, Type.Null()])),
  /** The host's relations to host factories, here since hosts come after them. */
  ownsHostFactories: Type.Optional(Type.Array(FactoryId, { maxItems: 1000 })),
  hostFactoryPermissions: Type.Optional(Type.Array(Type.Object({ hostFactory: FactoryId, privilege: Privilege }, { additionalProperties: false }), { maxItems: 3000 })),
  apiKey: Type.Object({ accessor: Type.Optional(accessor('hak')), createdAt: Type.Optional(Instant), ...Secret }, { additionalProperties: false }),
  createdAt: Type.Optional(Instant)
})

const HostFactoryTokenLineSchema = line('host-factory-token', {
  account: AccountId,
  hostFactory: FactoryId,
  accessor: Type.Optional(accessor('hft')),
  cidr: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  expiration: Instant,
  createdBy: Type.Optional(Maker),
  /** The host of the account that made it, when a host did. */
  createdByHost: Type.Optional(Maker),
  createdAt: Type.Optional(Instant),
  ...Secret
})

type HostFactoryLine = Static<typeof HostFactoryLineSchema>
type HostLine = Static<typeof HostLineSchema>
type HostFactoryTokenLine = Static<typeof HostFactoryTokenLineSchema>

const hostFactory: Importer<HostFactoryLine, HostFactoryLine> = {
  batchSize: 100,
  prepare: (line) => line,
  write: (trx, lines, { now }) => eachInTurn(lines, async (line) => {
    if (!(await existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (await findHostFactory(trx, line.account, line.id)) return SKIPPED
    const ownerId = line.owner ? await findMemberIdByName(trx, line.account, line.owner.user) : null
    if (ownerId === undefined) return failed(`owner: unknown user ${quoted(line.owner!.user)} in account ${line.account}`)
    const permissions = line.permissions ?? []
    const grantees = new Map<string, string>()
    for (const { user: name } of permissions) {
      const id = grantees.get(name) ?? await findMemberIdByName(trx, line.account, name)
      if (id === undefined) return failed(`permissions: unknown user ${quoted(name)} in account ${line.account}`)
      grantees.set(name, id)
    }
    const layers = [...new Set(line.layers ?? [])].sort()
    await ensureLayers(trx, line.account, layers)
    await repo.insertImportedHostFactory(trx, { account_id: line.account, id: line.id, owner_user_id: ownerId, created_at: instant(line.createdAt, now) })
    await repo.addHostFactoryLayers(trx, line.account, line.id, layers)
    for (const permission of permissions) {
      await grantPermission(trx, line.account, line.id, { kind: 'user', userId: grantees.get(permission.user)! }, permission.privilege)
    }
    return imported(line.account)
  })
}

interface PreparedHost {
  line: HostLine
  keyHash: Buffer
  keySealed: Buffer
}

const host: Importer<HostLine, PreparedHost> = {
  batchSize: 100,
  prepare (line, { box }) {
    const secret = secretOf(line.apiKey, true)
    const context = hostKeySealingContext(line.account, line.id)
    if ('value' in secret) {
      if (!CONJUR_SECRET_FORMAT.test(secret.value)) throw new LineProblem('apiKey.value must be a Conjur API key: 8 to 56 Crockford base32 characters')
      return { line, keyHash: sha256(secret.value), keySealed: box.seal(secret.value, context) }
    }
    openSealed(() => box.open(secret.sealed!, context), secret.sha256)
    return { line, keyHash: secret.sha256, keySealed: secret.sealed! }
  },
  write: (trx, items, { now }) => eachInTurn(items, async ({ line, keyHash, keySealed }) => {
    if (!(await existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (await findHost(trx, line.account, line.id)) return SKIPPED
    const owned = [...new Set(line.ownsHostFactories ?? [])]
    const permissions = line.hostFactoryPermissions ?? []
    const named = [...owned, ...permissions.map((permission) => permission.hostFactory), ...(line.hostFactory ? [line.hostFactory] : [])]
    const factories = await repo.existingHostFactories(trx, line.account, named)
    const unknown = named.find((id) => !factories.has(id))
    if (unknown !== undefined) return failed(`unknown host factory '${unknown}' in account ${line.account}`)
    const ownerless = await repo.ownerlessHostFactories(trx, line.account, owned)
    const owning = owned.find((id) => !ownerless.has(id))
    if (owning !== undefined) return failed(`host factory '${owning}' already has an owner`)
    const accessor = line.apiKey.accessor ?? newAccessor('hak')
    if (await repo.hostKeyTaken(trx, accessor, keyHash)) return failed('another host has this API key or its accessor')
    const createdAt = instant(line.createdAt, now)
    await repo.insertImportedHost(trx, {
      account_id: line.account,
      id: line.id,
      annotations: line.annotations ?? {},
      owner_host_factory_id: line.hostFactory ?? null,
      api_key_hash: keyHash,
      api_key_sealed: keySealed,
      api_key_accessor: accessor,
      api_key_created_at: instant(line.apiKey.createdAt, createdAt),
      created_at: createdAt
    })
    const layers = [...new Set(line.layers ?? [])].sort()
    await ensureLayers(trx, line.account, layers)
    await addHostToLayers(trx, line.account, line.id, layers)
    await repo.setHostFactoryOwner(trx, line.account, owned, line.id)
    for (const permission of permissions) await grantPermission(trx, line.account, permission.hostFactory, { kind: 'host', hostId: line.id }, permission.privilege)
    return imported(line.account)
  })
}

const hostFactoryToken: Importer<HostFactoryTokenLine, repo.ImportedHostFactoryToken> = {
  batchSize: 100,
  prepare (line, { box, now }) {
    const secret = secretOf(line, true)
    let token: { token_sha256: Buffer, token_sealed: Buffer }
    if ('value' in secret) {
      if (!CONJUR_SECRET_FORMAT.test(secret.value)) throw new LineProblem('value must be a Conjur host factory token: 8 to 56 Crockford base32 characters')
      const hash = sha256(secret.value)
      token = { token_sha256: hash, token_sealed: box.seal(secret.value, tokenSealingContext(hash)) }
    } else {
      openSealed(() => box.open(secret.sealed!, tokenSealingContext(secret.sha256)), secret.sha256)
      token = { token_sha256: secret.sha256, token_sealed: secret.sealed! }
    }
    let cidr: string[]
    try {
      cidr = (line.cidr ?? []).map(normaliseCidr)
    } catch (error) {
      if (error instanceof InvalidCidr) throw new LineProblem(`cidr: ${error.message}`)
      throw error
    }
    return {
      ...token,
      account_id: line.account,
      host_factory_id: line.hostFactory,
      accessor: line.accessor ?? newAccessor('hft'),
      cidr,
      expiration: parseRfc3339(line.expiration)!,
      created_by: line.createdBy ?? null,
      created_by_host: line.createdByHost ?? null,
      created_at: instant(line.createdAt, now)
    }
  },
  write: (trx, tokens) => eachInTurn(tokens, async (token) => {
    if (!(await existingAccountIds(trx, [token.account_id])).has(token.account_id)) return failed(`unknown account '${token.account_id}'`)
    if (!await findHostFactory(trx, token.account_id, token.host_factory_id)) return failed(`unknown host factory '${token.host_factory_id}' in account ${token.account_id}`)
    if (await repo.hostFactoryTokenExists(trx, token.token_sha256)) return SKIPPED
    if (await repo.hostFactoryTokenAccessorTaken(trx, token.accessor)) return failed(`accessor ${token.accessor} is taken by another host factory token`)
    await repo.insertImportedHostFactoryToken(trx, token)
    return imported(token.account_id)
  })
}

export const conjurTransfer: FamilyTransfer = {
  objects: [
    section<HostFactoryLine, HostFactoryLine>({
      type: 'host-factory',
      schema: HostFactoryLineSchema,
      noun: 'host factories',
      async * pages (db) {
        for await (const rows of walk(db, repo.hostFactoryPage, (row) => ({ accountId: row.account_id, id: row.id }))) {
          yield rows.map((row) => ({
            type: 'host-factory',
            account: row.account_id,
            id: row.id,
            owner: row.owner_user === null ? null : { user: row.owner_user },
            layers: row.layers,
            permissions: row.permissions,
            createdAt: iso(row.created_at)
          }))
        }
      },
      importer: hostFactory
    }),
    section<HostLine, PreparedHost>({
      type: 'host',
      schema: HostLineSchema,
      noun: 'hosts',
      async * pages (db) {
        for await (const rows of walk(db, repo.hostPage, (row) => ({ accountId: row.account_id, id: row.id }))) {
          yield rows.map((row) => ({
            type: 'host',
            account: row.account_id,
            id: row.id,
            annotations: row.annotations,
            layers: row.layers,
            hostFactory: row.owner_host_factory_id,
            ownsHostFactories: row.owns,
            hostFactoryPermissions: row.permissions,
            apiKey: { accessor: row.api_key_accessor, createdAt: iso(row.api_key_created_at), sha256: hex(row.api_key_hash), sealed: base64(row.api_key_sealed) },
            createdAt: iso(row.created_at)
          }))
        }
      },
      importer: host
    })
  ],
  credentials: [
    section<HostFactoryTokenLine, repo.ImportedHostFactoryToken>({
      type: 'host-factory-token',
      schema: HostFactoryTokenLineSchema,
      noun: 'host factory tokens',
      async * pages (db) {
        for await (const rows of walk(db, repo.hostFactoryTokenPage, (row) => row.token_sha256)) {
          yield rows.map((row) => ({
            type: 'host-factory-token',
            account: row.account_id,
            hostFactory: row.host_factory_id,
            accessor: row.accessor,
            cidr: row.cidr,
            expiration: iso(row.expiration),
            createdBy: row.created_by,
            createdByHost: row.created_by_host,
            createdAt: iso(row.created_at),
            sha256: hex(row.token_sha256),
            sealed: base64(row.token_sealed)
          }))
        }
      },
      importer: hostFactoryToken
    })
  ]
}
