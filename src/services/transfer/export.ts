import type { Database } from '../../db/database.js'
import { listRolesByAccountOfUsers } from '../../db/repositories/role-assignments.js'
import * as reads from '../../db/repositories/transfer-export.js'
import { FORMAT_NAME, FORMAT_VERSION, type Header, type Line } from './format.js'

/**
 * Every row of every table an export covers, as lines, in an order where each line refers only
 * to lines before it (format.ts). Reads a page at a time: memory stays flat however large the
 * database. Run it in one snapshot (the CLI does) for lines that agree with each other.
 */

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const iso = (date: Date) => date.toISOString()

/** Pages of `read`, each after the last row of the one before, until a short page. */
async function * walk<Row, Key> (db: Database, read: (db: Database, after: Key | undefined) => Promise<Row[]>, keyOf: (row: Row) => Key): AsyncGenerator<Row[]> {
  let after: Key | undefined
  for (;;) {
    const rows = await read(db, after)
    if (rows.length > 0) yield rows
    if (rows.length < reads.EXPORT_PAGE) return
    after = keyOf(rows.at(-1)!)
  }
}

export function exportHeader (now: Date): Header {
  return { type: FORMAT_NAME, version: FORMAT_VERSION, exportedAt: iso(now), source: 'tessera' }
}

/** The lines of an export, a page at a time, after its header. */
export async function * exportLines (db: Database): AsyncGenerator<Line[]> {
  for await (const rows of walk(db, reads.accountPage, (row) => row.id)) {
    yield rows.map((row) => ({ type: 'account', id: row.id, name: row.name, enabled: row.enabled, createdAt: iso(row.created_at) }))
  }
  for await (const rows of walk(db, reads.userPage, (row) => row.id)) {
    const roles = await listRolesByAccountOfUsers(db, rows.map((row) => row.id))
    yield rows.map((row) => ({
      type: 'user',
      id: row.id,
      account: row.account_id,
      name: row.name,
      email: row.email,
      enabled: row.enabled,
      passwordHash: row.password_hash,
      roles: [...(roles.get(row.id) ?? new Map<string, string[]>())].flatMap(([account, names]) => names.map((role) => ({ account, role }))),
      createdAt: iso(row.created_at)
    }))
  }
  for await (const rows of walk(db, reads.hostFactoryPage, (row) => ({ accountId: row.account_id, id: row.id }))) {
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
  for await (const rows of walk(db, reads.hostPage, (row) => ({ accountId: row.account_id, id: row.id }))) {
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
  for await (const rows of walk(db, reads.apiKeyPage, (row) => row.user_id)) {
    yield rows.map((row) => ({
      type: 'api-key',
      user: row.user_name,
      accessor: row.accessor,
      createdAt: iso(row.created_at),
      sha256: hex(row.key_hash),
      // A key issued before sealed copies existed has none: it still logs in, by its hash.
      ...(row.key_sealed === null ? {} : { sealed: base64(row.key_sealed) })
    }))
  }
  for await (const rows of walk(db, reads.agentTokenPage, (row) => ({ accountId: row.account_id, sortKey: row.sort_key }))) {
    yield rows.map((row) => ({
      type: 'agent-token',
      account: row.account_id,
      accessor: row.accessor,
      sortKey: row.sort_key,
      label: row.label,
      createdBy: row.created_by,
      createdAt: iso(row.created_at),
      sha256: hex(row.secret_hash),
      sealed: base64(row.token_sealed)
    }))
  }
  for await (const rows of walk(db, reads.astraTokenPage, (row) => ({ accountId: row.account_id, userId: row.user_id, id: row.id }))) {
    yield rows.map((row) => ({
      type: 'astra-token',
      account: row.account_id,
      user: row.user_name,
      id: row.id,
      name: row.name,
      labels: row.labels,
      createdBy: row.created_by,
      modifiedBy: row.modified_by,
      createdAt: iso(row.created_at),
      modifiedAt: iso(row.modified_at),
      sha256: hex(row.secret_hash)
    }))
  }
  for await (const rows of walk(db, reads.hostFactoryTokenPage, (row) => row.token_sha256)) {
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
}
