import { openApiKey, storedApiKey } from '../../core/credentials.js'
import { newUuid } from '../../core/identifiers.js'
import { parsePasswordHash } from '../../core/password-hashes.js'
import { parseRfc3339 } from '../../core/rfc3339.js'
import { constantTimeEqual, randomHex, sha256, type SecretBox } from '../../core/secrets.js'
import type { Database } from '../../db/database.js'
import { findAccountById, findAccountByName, insertAccount } from '../../db/repositories/accounts.js'
import { grantRole } from '../../db/repositories/role-assignments.js'
import * as store from '../../db/repositories/transfer-import.js'
import { findUserById, findUserByName, insertUser } from '../../db/repositories/users.js'
import { sealingContext } from '../../families/agent-tokens/token-id.js'
import { TOKEN_SECRET_FORMAT } from '../../families/astra/tokens.js'
import { InvalidCidr, normaliseCidr } from '../../families/conjur/cidr.js'
import { addHostToLayers, ensureLayers, findHost, findHostFactory, findUserRole, grantPermission } from '../../families/conjur/repository.js'
import { CONJUR_SECRET_FORMAT, hostKeySealingContext, tokenSealingContext } from '../../families/conjur/secrets.js'
import { LineProblem, type LineOf, type LineType } from './format.js'

/**
 * One importer a line type: `prepare` checks what needs no database and makes what will be
 * stored (lookup hashes, sealed copies), throwing LineProblem; `write` checks each item against
 * the database (what exists is skipped, what conflicts fails) before it writes anything of it,
 * then writes the rest, in the caller's transaction. An unexpected error from `write` makes the
 * caller retry the items one at a time, so a failing item leaves nothing behind.
 */
export type Outcome =
  | { status: 'imported', accountId: string }
  | { status: 'skipped' }
  | { status: 'failed', reason: string }

export interface ImportTools {
  box: SecretBox
  /** The creation time of what a line gives none. */
  now: Date
  /**
   * The administrators' account (TESSERA_ADMIN_ACCOUNT), and whether a file may add users to it
   * or give roles on it (--allow-admin-account): its admins administer every account.
   */
  adminAccount: { id: string, allowed: boolean }
  /**
   * Names whose user line failed in this run: a credential line naming one would otherwise land
   * on the other user of that name, whom the file does not describe.
   */
  failedUsers: Set<string>
}

export interface Importer<L, Item> {
  /** Lines written in one transaction (with one-at-a-time retry when it fails). */
  batchSize: number
  prepare (line: L, tools: ImportTools): Item
  write (trx: Database, items: readonly Item[], tools: ImportTools): Promise<Outcome[]>
}

const SKIPPED: Outcome = { status: 'skipped' }
const failed = (reason: string): Outcome => ({ status: 'failed', reason })
const imported = (accountId: string): Outcome => ({ status: 'imported', accountId })

/** Lines are checked one after another in a batch: each sees what the ones before it wrote. */
async function eachInTurn<Item> (items: readonly Item[], write: (item: Item) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const item of items) outcomes.push(await write(item))
  return outcomes
}

function instant (text: string | undefined, fallback: Date): Date {
  return text === undefined ? fallback : parseRfc3339(text)!
}

function newAccessor (prefix: string): string {
  return `${prefix}_${randomHex(16)}`
}

/** A credential as a line gives it: its plaintext, or its lookup hash with (for most kinds) its sealed copy. */
type SecretInput = { value: string } | { sha256: Buffer, sealed: Buffer | undefined }

function secretOf (line: { value?: string | undefined, sha256?: string | undefined, sealed?: string | undefined }, needsSealed: boolean): SecretInput {
  if (line.value !== undefined) {
    if (line.sha256 !== undefined || line.sealed !== undefined) throw new LineProblem('give either value, or sha256 and sealed, not both')
    return { value: line.value }
  }
  if (line.sha256 === undefined) throw new LineProblem(needsSealed ? 'value, or sha256 and sealed, is required' : 'value or sha256 is required')
  if (needsSealed && line.sealed === undefined) throw new LineProblem('sealed is required with sha256: the API shows this credential again')
  return { sha256: Buffer.from(line.sha256, 'hex'), sealed: line.sealed === undefined ? undefined : Buffer.from(line.sealed, 'base64') }
}

const SEALED_UNDER_ANOTHER_KEY = "sealed does not open under this server's key (TESSERA_SECRET_KEY) for this credential: import with the key of the server that exported it, or by value"

/** The plaintext of a sealed copy, checked against its lookup hash. */
function openSealed (open: () => string, hash: Buffer): string {
  let value: string
  try {
    value = open()
  } catch {
    throw new LineProblem(SEALED_UNDER_ANOTHER_KEY)
  }
  if (!constantTimeEqual(sha256(value), hash)) throw new LineProblem('sealed and sha256 are not the same credential')
  return value
}

/** A name as a reason quotes it: JSON-escaped, so no control character reaches the operator's terminal. */
const quoted = (name: string) => JSON.stringify(name)
const userLineFailed = (name: string) => `the line of user ${quoted(name)} failed in this import: the user of that name here is another`

function problemOf (error: unknown): string {
  if (error instanceof LineProblem) return error.message
  throw error
}

const account: Importer<LineOf['account'], LineOf['account']> = {
  batchSize: 100,
  prepare: (line) => line,
  write: (trx, lines, { now }) => eachInTurn(lines, async (line) => {
    if (await findAccountById(trx, line.id)) return SKIPPED
    const named = await findAccountByName(trx, line.name)
    if (named) return failed(`account name ${quoted(line.name)} is taken by account ${named.id}`)
    const createdAt = instant(line.createdAt, now)
    await insertAccount(trx, { id: line.id, name: line.name, enabled: line.enabled ?? true, created_at: createdAt, updated_at: createdAt })
    return imported(line.id)
  })
}

const PASSWORD_FORMATS = 'argon2id or argon2i (PHC), bcrypt ($2a$, $2b$, $2y$), passlib $pbkdf2-sha256$ or $pbkdf2-sha512$, or Django pbkdf2_sha256$, within the documented cost limits'

const user: Importer<LineOf['user'], LineOf['user']> = {
  batchSize: 100,
  prepare (line) {
    if (line.passwordHash && !parsePasswordHash(line.passwordHash)) throw new LineProblem(`passwordHash is not a supported format: ${PASSWORD_FORMATS}`)
    return line
  },
  write: (trx, lines, tools) => eachInTurn(lines, async (line) => {
    const { now } = tools
    const named = await findUserByName(trx, line.name)
    if (named) return line.id === undefined || named.id === line.id ? SKIPPED : failed(`user name ${quoted(line.name)} is taken by user ${named.id}`)
    if (line.id !== undefined) {
      const other = await findUserById(trx, line.id)
      if (other) return failed(`user id ${line.id} is taken by user ${quoted(other.name)}`)
    }
    const roles = line.roles ?? []
    const { adminAccount } = tools
    if (!adminAccount.allowed && [line.account, ...roles.map((role) => role.account)].includes(adminAccount.id)) {
      return failed(`the administrators' account ${adminAccount.id} takes users and roles only with --allow-admin-account`)
    }
    const accounts = await store.existingAccountIds(trx, [line.account, ...roles.map((role) => role.account)])
    const unknown = [line.account, ...roles.map((role) => role.account)].find((id) => !accounts.has(id))
    if (unknown !== undefined) return failed(`unknown account '${unknown}'`)
    const createdAt = instant(line.createdAt, now)
    const row = await insertUser(trx, {
      id: line.id ?? newUuid(),
      account_id: line.account,
      name: line.name,
      email: line.email ?? null,
      password_hash: line.passwordHash ?? null,
      enabled: line.enabled ?? true,
      created_at: createdAt,
      updated_at: createdAt
    })
    for (const role of roles) await grantRole(trx, { userId: row.id, accountId: role.account, role: role.role })
    return imported(line.account)
  })
}

interface PreparedApiKey {
  line: LineOf['api-key']
  secret: SecretInput
}

const apiKey: Importer<LineOf['api-key'], PreparedApiKey> = {
  batchSize: 100,
  prepare (line) {
    const secret = secretOf(line, false)
    if ('value' in secret && !CONJUR_SECRET_FORMAT.test(secret.value)) throw new LineProblem('value must be an API key: 32 lowercase hex digits (Rackspace) or 8 to 56 Crockford base32 characters (Conjur)')
    return { line, secret }
  },
  write: (trx, items, { box, now, failedUsers }) => eachInTurn(items, async ({ line, secret }) => {
    if (failedUsers.has(line.user)) return failed(userLineFailed(line.user))
    const owner = await findUserByName(trx, line.user)
    if (!owner) return failed(`unknown user ${quoted(line.user)}`)
    // A sealed key is bound to its user's id: it can be checked only now the user is found.
    let stored: { keyHash: Buffer, keySealed: Buffer | null }
    if ('value' in secret) {
      stored = storedApiKey(box, owner.id, secret.value)
    } else {
      try {
        if (secret.sealed !== undefined) openSealed(() => openApiKey(box, owner.id, secret.sealed!), secret.sha256)
      } catch (error) {
        return failed(problemOf(error))
      }
      stored = { keyHash: secret.sha256, keySealed: secret.sealed ?? null }
    }
    const existing = await store.findApiKeyOf(trx, owner.id)
    if (existing) return constantTimeEqual(existing.key_hash, stored.keyHash) ? SKIPPED : failed(`user ${quoted(line.user)} already has another API key`)
    if (await store.apiKeyHashTaken(trx, stored.keyHash)) return failed('another user has this API key')
    const accessor = line.accessor ?? newAccessor('uak')
    if (await store.accessorTaken(trx, 'api_keys', accessor)) return failed(`accessor ${accessor} is taken by another API key`)
    await store.insertImportedApiKey(trx, { user_id: owner.id, key_hash: stored.keyHash, key_sealed: stored.keySealed, accessor, created_at: instant(line.createdAt, now) })
    return imported(owner.account_id)
  })
}

/** The user a host factory line names, at home in the account or holding a role there (as Conjur's roles are). */
async function roleUser (trx: Database, accountId: string, name: string): Promise<string | undefined> {
  return (await findUserRole(trx, accountId, name))?.id
}

const hostFactory: Importer<LineOf['host-factory'], LineOf['host-factory']> = {
  batchSize: 100,
  prepare: (line) => line,
  write: (trx, lines, { now }) => eachInTurn(lines, async (line) => {
    if (!(await store.existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (await findHostFactory(trx, line.account, line.id)) return SKIPPED
    const ownerId = line.owner ? await roleUser(trx, line.account, line.owner.user) : null
    if (ownerId === undefined) return failed(`owner: unknown user ${quoted(line.owner!.user)} in account ${line.account}`)
    const permissions = line.permissions ?? []
    const grantees = new Map<string, string>()
    for (const { user: name } of permissions) {
      const id = grantees.get(name) ?? await roleUser(trx, line.account, name)
      if (id === undefined) return failed(`permissions: unknown user ${quoted(name)} in account ${line.account}`)
      grantees.set(name, id)
    }
    const layers = [...new Set(line.layers ?? [])].sort()
    await ensureLayers(trx, line.account, layers)
    await store.insertImportedHostFactory(trx, { account_id: line.account, id: line.id, owner_user_id: ownerId, created_at: instant(line.createdAt, now) })
    await store.addHostFactoryLayers(trx, line.account, line.id, layers)
    for (const permission of permissions) {
      await grantPermission(trx, line.account, line.id, { kind: 'user', userId: grantees.get(permission.user)! }, permission.privilege)
    }
    return imported(line.account)
  })
}

interface PreparedHost {
  line: LineOf['host']
  keyHash: Buffer
  keySealed: Buffer
}

const host: Importer<LineOf['host'], PreparedHost> = {
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
    if (!(await store.existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (await findHost(trx, line.account, line.id)) return SKIPPED
    const owned = [...new Set(line.ownsHostFactories ?? [])]
    const permissions = line.hostFactoryPermissions ?? []
    const named = [...owned, ...permissions.map((permission) => permission.hostFactory), ...(line.hostFactory ? [line.hostFactory] : [])]
    const factories = await store.existingHostFactories(trx, line.account, named)
    const unknown = named.find((id) => !factories.has(id))
    if (unknown !== undefined) return failed(`unknown host factory '${unknown}' in account ${line.account}`)
    const ownerless = await store.ownerlessHostFactories(trx, line.account, owned)
    const owning = owned.find((id) => !ownerless.has(id))
    if (owning !== undefined) return failed(`host factory '${owning}' already has an owner`)
    const accessor = line.apiKey.accessor ?? newAccessor('hak')
    if (await store.hostKeyTaken(trx, accessor, keyHash)) return failed('another host has this API key or its accessor')
    const createdAt = instant(line.createdAt, now)
    await store.insertImportedHost(trx, {
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
    await store.setHostFactoryOwner(trx, line.account, owned, line.id)
    for (const permission of permissions) await grantPermission(trx, line.account, permission.hostFactory, { kind: 'host', hostId: line.id }, permission.privilege)
    return imported(line.account)
  })
}

/** An agent token: `<64 lowercase hex>.<tenant id>`, its first 16 digits the sort key (agent-tokens/token-id.ts). */
const AGENT_TOKEN = /^([0-9a-f]{16})[0-9a-f]{48}\.(.+)$/s

function agentTokenSortKey (value: string, accountId: string, field: string): string {
  const match = AGENT_TOKEN.exec(value)
  if (!match || match[2] !== accountId) throw new LineProblem(`${field} must be an agent token of account ${accountId}: 64 lowercase hex digits, '.', then the account id`)
  return match[1]!
}

const agentToken: Importer<LineOf['agent-token'], store.ImportedAgentToken> = {
  batchSize: 1000,
  prepare (line, { box, now }) {
    const secret = secretOf(line, true)
    let sortKey: string
    let token: { secret_hash: Buffer, token_sealed: Buffer }
    if ('value' in secret) {
      sortKey = agentTokenSortKey(secret.value, line.account, 'value')
      if (line.sortKey !== undefined && line.sortKey !== sortKey) throw new LineProblem('sortKey must be the first 16 hex digits of value')
      token = { secret_hash: sha256(secret.value), token_sealed: box.seal(secret.value, sealingContext(line.account, sortKey)) }
    } else {
      if (line.sortKey === undefined) throw new LineProblem('sortKey is required with sealed: the sealed copy is bound to it')
      sortKey = line.sortKey
      const value = openSealed(() => box.open(secret.sealed!, sealingContext(line.account, line.sortKey!)), secret.sha256)
      if (agentTokenSortKey(value, line.account, 'the sealed token') !== sortKey) throw new LineProblem('sortKey must be the first 16 hex digits of the token')
      token = { secret_hash: secret.sha256, token_sealed: secret.sealed! }
    }
    return {
      account_id: line.account,
      sort_key: sortKey,
      ...token,
      accessor: line.accessor ?? newAccessor('agt'),
      label: line.label ?? null,
      created_by: line.createdBy ?? null,
      created_at: instant(line.createdAt, now)
    }
  },
  // The one kind imported by the hundred thousand: a batch is checked with one query and written with another.
  async write (trx, tokens) {
    const accounts = await store.existingAccountIds(trx, tokens.map((token) => token.account_id))
    const conflicts = await store.agentTokenConflicts(trx, tokens)
    const hashes = new Set(conflicts.map((row) => Buffer.from(row.secret_hash).toString('hex')))
    const accessors = new Set(conflicts.map((row) => row.accessor))
    const sortKeys = new Set(conflicts.map((row) => `${row.account_id}\n${row.sort_key}`))
    const written: store.ImportedAgentToken[] = []
    const outcomes = tokens.map((token) => {
      const hash = Buffer.from(token.secret_hash).toString('hex')
      const sortKey = `${token.account_id}\n${token.sort_key}`
      if (!accounts.has(token.account_id)) return failed(`unknown account '${token.account_id}'`)
      if (hashes.has(hash)) return SKIPPED
      if (accessors.has(token.accessor)) return failed(`accessor ${token.accessor} is taken by another agent token`)
      if (sortKeys.has(sortKey)) return failed(`another agent token of account ${token.account_id} starts with the same 16 hex digits (its sort key)`)
      hashes.add(hash)
      accessors.add(token.accessor)
      sortKeys.add(sortKey)
      written.push(token)
      return imported(token.account_id)
    })
    await store.insertImportedAgentTokens(trx, written)
    return outcomes
  }
}

interface PreparedAstraToken {
  line: LineOf['astra-token']
  hash: Buffer
}

const astraToken: Importer<LineOf['astra-token'], PreparedAstraToken> = {
  batchSize: 100,
  prepare (line) {
    const secret = secretOf(line, false)
    if ('value' in secret && !TOKEN_SECRET_FORMAT.test(secret.value)) throw new LineProblem('value must be an Astra token: base64 of 32 bytes (44 characters ending in =)')
    return { line, hash: 'value' in secret ? sha256(secret.value) : secret.sha256 }
  },
  write: (trx, items, { now, failedUsers }) => eachInTurn(items, async ({ line, hash }) => {
    if (!(await store.existingAccountIds(trx, [line.account])).has(line.account)) return failed(`unknown account '${line.account}'`)
    if (failedUsers.has(line.user)) return failed(userLineFailed(line.user))
    const owner = await findUserRole(trx, line.account, line.user)
    if (!owner) return failed(`unknown user ${quoted(line.user)} in account ${line.account}`)
    if (await store.userTokenExists(trx, hash)) return SKIPPED
    const id = line.id ?? newUuid()
    if (await store.userTokenIdTaken(trx, id)) return failed(`token id ${id} is taken by another Astra token`)
    const createdAt = instant(line.createdAt, now)
    await store.insertImportedUserToken(trx, {
      account_id: line.account,
      user_id: owner.id,
      id,
      name: line.name,
      secret_hash: hash,
      labels: line.labels ?? [],
      created_by: line.createdBy ?? owner.id,
      modified_by: line.modifiedBy ?? null,
      created_at: createdAt,
      modified_at: instant(line.modifiedAt, createdAt)
    })
    return imported(line.account)
  })
}

const hostFactoryToken: Importer<LineOf['host-factory-token'], store.ImportedHostFactoryToken> = {
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
    if (!(await store.existingAccountIds(trx, [token.account_id])).has(token.account_id)) return failed(`unknown account '${token.account_id}'`)
    if (!await findHostFactory(trx, token.account_id, token.host_factory_id)) return failed(`unknown host factory '${token.host_factory_id}' in account ${token.account_id}`)
    if (await store.hostFactoryTokenExists(trx, token.token_sha256)) return SKIPPED
    if (await store.accessorTaken(trx, 'host_factory_tokens', token.accessor)) return failed(`accessor ${token.accessor} is taken by another host factory token`)
    await store.insertImportedHostFactoryToken(trx, token)
    return imported(token.account_id)
  })
}

// Each importer takes its own line type; the driver dispatches by the line's type.
export const IMPORTERS: { [T in LineType]: Importer<LineOf[T], unknown> } = {
  account,
  user,
  'host-factory': hostFactory,
  host,
  'api-key': apiKey as Importer<LineOf['api-key'], unknown>,
  'agent-token': agentToken as Importer<LineOf['agent-token'], unknown>,
  'astra-token': astraToken as Importer<LineOf['astra-token'], unknown>,
  'host-factory-token': hostFactoryToken as Importer<LineOf['host-factory-token'], unknown>
}
