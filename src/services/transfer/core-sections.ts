import { Type, type Static } from 'typebox'
import { API_KEY_SHAPE, openApiKey, storedApiKey } from '../../core/credentials.js'
import { IDENTIFIER_PATTERN, newUuid, USER_ID_PATTERN } from '../../core/identifiers.js'
import { parsePasswordHash } from '../../core/password-hashes.js'
import { constantTimeEqual } from '../../core/secrets.js'
import { findAccountById, findAccountByName, insertAccount } from '../../db/repositories/accounts.js'
import { grantRole, listRolesByAccountOfUsers } from '../../db/repositories/role-assignments.js'
import * as reads from '../../db/repositories/transfer-export.js'
import * as store from '../../db/repositories/transfer-import.js'
import { findUserById, findUserByName, insertUser } from '../../db/repositories/users.js'
import { base64, hex, iso, walk } from './export.js'
import { AccountId, accessor, Instant, line, LineProblem, Name, Secret } from './format.js'
import { eachInTurn, failed, imported, instant, newAccessor, openSealed, problemOf, quoted, secretOf, SKIPPED, userLineFailed, type Importer, type SecretInput } from './importers.js'
import { section } from './section.js'

/** The identity core's lines: accounts, users (with their roles) and users' API keys. */

const AccountLineSchema = line('account', {
  id: AccountId,
  name: Name,
  enabled: Type.Optional(Type.Boolean()),
  createdAt: Type.Optional(Instant)
})

const UserLineSchema = line('user', {
  id: Type.Optional(Type.String({ pattern: USER_ID_PATTERN })),
  account: AccountId,
  name: Name,
  email: Type.Optional(Type.Union([Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }), Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
  passwordHash: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()])),
  roles: Type.Optional(Type.Array(Type.Object({ account: AccountId, role: Type.String({ pattern: IDENTIFIER_PATTERN }) }, { additionalProperties: false }), { maxItems: 1000 })),
  createdAt: Type.Optional(Instant)
})

const ApiKeyLineSchema = line('api-key', {
  user: Name,
  accessor: Type.Optional(accessor('uak')),
  createdAt: Type.Optional(Instant),
  ...Secret
})

type AccountLine = Static<typeof AccountLineSchema>
type UserLine = Static<typeof UserLineSchema>
type ApiKeyLine = Static<typeof ApiKeyLineSchema>

const accountImporter: Importer<AccountLine, AccountLine> = {
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

const userImporter: Importer<UserLine, UserLine> = {
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
  line: ApiKeyLine
  secret: SecretInput
}

const apiKeyImporter: Importer<ApiKeyLine, PreparedApiKey> = {
  batchSize: 100,
  prepare (line) {
    const secret = secretOf(line, false)
    if ('value' in secret && !API_KEY_SHAPE.test(secret.value)) throw new LineProblem('value must be an API key: 32 lowercase hex digits, or 8 to 56 Crockford base32 characters')
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
    if (await store.apiKeyAccessorTaken(trx, accessor)) return failed(`accessor ${accessor} is taken by another API key`)
    await store.insertImportedApiKey(trx, { user_id: owner.id, key_hash: stored.keyHash, key_sealed: stored.keySealed, accessor, created_at: instant(line.createdAt, now) })
    return imported(owner.account_id)
  })
}

export const accountSection = section<AccountLine, AccountLine>({
  type: 'account',
  schema: AccountLineSchema,
  noun: 'accounts',
  async * pages (db) {
    for await (const rows of walk(db, reads.accountPage, (row) => row.id)) {
      yield rows.map((row) => ({ type: 'account', id: row.id, name: row.name, enabled: row.enabled, createdAt: iso(row.created_at) }))
    }
  },
  importer: accountImporter
})

export const userSection = section<UserLine, UserLine>({
  type: 'user',
  schema: UserLineSchema,
  noun: 'users (with their roles and password hashes)',
  async * pages (db) {
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
  },
  importer: userImporter
})

export const apiKeySection = section<ApiKeyLine, PreparedApiKey>({
  type: 'api-key',
  schema: ApiKeyLineSchema,
  noun: "users' API keys",
  async * pages (db) {
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
  },
  importer: apiKeyImporter
})
