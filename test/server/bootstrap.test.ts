import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PasswordHasher } from '../../src/core/credentials.js'
import { testCredentialTools } from '../helpers/test-app.js'
import { ADMIN_ROLE } from '../../src/core/principal.js'
import { bootstrapAdmin, type AdminSettings } from '../../src/services/bootstrap.js'
import { unique } from '../helpers/factories.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

/** Any hasher verifies: a hash records its own cost. */
const verifyPassword = (hash: string | null | undefined, password: string) => new PasswordHasher().verify(hash, password)

let database: TestDatabase
beforeAll(async () => { database = await createTestDatabase() })
afterAll(() => database.drop())

/** Admin settings with a fresh account and user name, so tests never see each other's admins. */
function settings (password: string | undefined): AdminSettings {
  return { account: unique('adm'), user: unique('root'), password }
}

/** What the database holds for one admin: the account, the users named so, and their roles on it. */
async function stateOf (admin: AdminSettings) {
  const db = database.db
  const account = await db.selectFrom('accounts').select(['id', 'name', 'enabled']).where('id', '=', admin.account).executeTakeFirst()
  const users = await db.selectFrom('users').select(['id', 'account_id', 'enabled', 'password_hash']).where('name', '=', admin.user).execute()
  const roles = await db.selectFrom('role_assignments').select(['user_id', 'role']).where('account_id', '=', admin.account).execute()
  return { account, users, roles }
}

/** The audit trail of the admin's account: what the bootstrap recorded, oldest first. */
function eventsOf (admin: AdminSettings) {
  return database.db.selectFrom('audit_events').select(['kind', 'actor_kind', 'actor_name', 'object_type', 'object_id', 'details'])
    .where('account_id', '=', admin.account).orderBy('id').execute()
}

const BY_BOOTSTRAP = { actor_kind: 'server', actor_name: 'tessera-bootstrap' }

describe('bootstrapAdmin', () => {
  it('creates the account, the user and the admin role, once', async () => {
    const admin = settings(unique('pw'))
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })).toEqual({ action: 'created' })

    const state = await stateOf(admin)
    expect(state.account).toEqual({ id: admin.account, name: admin.account, enabled: true })
    expect(state.users).toHaveLength(1)
    const user = state.users[0]!
    expect(user).toMatchObject({ account_id: admin.account, enabled: true })
    expect(user.password_hash).toMatch(/^\$argon2id\$/)
    expect(await verifyPassword(user.password_hash, admin.password!)).toBe(true)
    expect(state.roles).toEqual([{ user_id: user.id, role: ADMIN_ROLE }])

    const recorded = [
      { ...BY_BOOTSTRAP, kind: 'account.created', object_type: 'account', object_id: admin.account, details: { name: admin.account } },
      { ...BY_BOOTSTRAP, kind: 'user.created', object_type: 'user', object_id: user.id, details: { name: admin.user, roles: [ADMIN_ROLE], password: 'set' } }
    ]
    expect(await eventsOf(admin)).toEqual(recorded)

    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })).toEqual({ action: 'unchanged' })
    const again = await stateOf(admin)
    expect(again).toEqual(state)
    expect(await eventsOf(admin)).toEqual(recorded)
  })

  it('updates the password when TESSERA_ADMIN_PASSWORD changes, keeping the same user', async () => {
    const admin = settings(unique('pw'))
    await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })
    const before = await stateOf(admin)

    const changed = { ...admin, password: unique('new-pw') }
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, changed, { generateIfMissing: false })).toEqual({ action: 'password-updated' })
    const after = await stateOf(admin)
    expect(after.users.map((user) => user.id)).toEqual(before.users.map((user) => user.id))
    expect(await verifyPassword(after.users[0]!.password_hash, changed.password)).toBe(true)
    expect(await verifyPassword(after.users[0]!.password_hash, admin.password!)).toBe(false)
    expect(after.roles).toEqual(before.roles)
    expect((await eventsOf(admin)).at(-1)).toEqual({ ...BY_BOOTSTRAP, kind: 'user.changed', object_type: 'user', object_id: after.users[0]!.id, details: { changes: { password: 'changed', enabled: true } } })

    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, changed, { generateIfMissing: false })).toEqual({ action: 'unchanged' })
  })

  it('re-enables the admin user and restores the role when the password is set again', async () => {
    const admin = settings(unique('pw'))
    await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })
    const { users: [user] } = await stateOf(admin)
    await database.db.updateTable('users').set({ enabled: false }).where('id', '=', user!.id).execute()
    await database.db.deleteFrom('role_assignments').where('user_id', '=', user!.id).execute()

    const changed = { ...admin, password: unique('new-pw') }
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, changed, { generateIfMissing: false })).toEqual({ action: 'password-updated' })
    const after = await stateOf(admin)
    expect(after.users[0]!.enabled).toBe(true)
    expect(after.roles).toEqual([{ user_id: user!.id, role: ADMIN_ROLE }])
    expect((await eventsOf(admin)).slice(-2).map((event) => event.kind)).toEqual(['user.changed', 'role.granted'])
  })

  it('gives the role back, and records it, when the same password is set and the role was withdrawn', async () => {
    const admin = settings(unique('pw'))
    await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })
    const { users: [user] } = await stateOf(admin)
    await database.db.deleteFrom('role_assignments').where('user_id', '=', user!.id).execute()

    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })).toEqual({ action: 'role-granted' })
    expect((await stateOf(admin)).roles).toEqual([{ user_id: user!.id, role: ADMIN_ROLE }])
    expect((await eventsOf(admin)).at(-1)).toEqual({ ...BY_BOOTSTRAP, kind: 'role.granted', object_type: 'user', object_id: user!.id, details: { role: ADMIN_ROLE } })
  })

  it('generates a password, once, when allowed and no admin exists', async () => {
    const admin = settings(undefined)
    const outcome = await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: true })
    expect(outcome.action).toBe('generated')
    const password = (outcome as { password: string }).password
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/)
    const state = await stateOf(admin)
    expect(state.users).toHaveLength(1)
    expect(await verifyPassword(state.users[0]!.password_hash, password)).toBe(true)
    expect(state.roles).toEqual([{ user_id: state.users[0]!.id, role: ADMIN_ROLE }])

    // The next start finds the admin: nothing is generated or changed, the password still works.
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: true })).toEqual({ action: 'unchanged' })
    const again = await stateOf(admin)
    expect(again).toEqual(state)
  })

  it('returns missing, and creates nothing, when no password is set and none may be generated', async () => {
    const admin = settings(undefined)
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })).toEqual({ action: 'missing' })
    expect(await stateOf(admin)).toEqual({ account: undefined, users: [], roles: [] })
  })

  it('leaves an existing admin alone when no password is set', async () => {
    const admin = settings(unique('pw'))
    await bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })
    const state = await stateOf(admin)
    const unset = { ...admin, password: undefined }
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, unset, { generateIfMissing: false })).toEqual({ action: 'unchanged' })
    expect(await bootstrapAdmin(database.db, testCredentialTools.passwords, unset, { generateIfMissing: true })).toEqual({ action: 'unchanged' })
    expect(await stateOf(admin)).toEqual(state)
  })

  it('refuses a TESSERA_ADMIN_USER that names another account\'s user, changing nothing', async () => {
    const other = settings(unique('pw'))
    await bootstrapAdmin(database.db, testCredentialTools.passwords, other, { generateIfMissing: false })
    const before = await stateOf(other)
    const admin = { ...settings(unique('pw')), user: other.user }
    await expect(bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false })).rejects.toThrow(
      `TESSERA_ADMIN_USER names ${other.user}, a user of account ${other.account}, not of TESSERA_ADMIN_ACCOUNT ${admin.account}`)
    expect(await stateOf(other)).toEqual(before)
    expect((await stateOf(admin)).account).toBeUndefined()
  })

  it('creates one admin when two replicas bootstrap at once', async () => {
    const admin = settings(unique('pw'))
    const outcomes = await Promise.all([
      bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: false }),
      bootstrapAdmin(database.connect(), testCredentialTools.passwords, admin, { generateIfMissing: false })
    ])
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['created', 'unchanged'])
    const state = await stateOf(admin)
    expect(state.users).toHaveLength(1)
    expect(state.roles).toEqual([{ user_id: state.users[0]!.id, role: ADMIN_ROLE }])
  })

  it('generates one password when two replicas of an embedded database start at once', async () => {
    const admin = settings(undefined)
    const outcomes = await Promise.all([
      bootstrapAdmin(database.db, testCredentialTools.passwords, admin, { generateIfMissing: true }),
      bootstrapAdmin(database.connect(), testCredentialTools.passwords, admin, { generateIfMissing: true })
    ])
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['generated', 'unchanged'])
    const generated = outcomes.find((outcome) => outcome.action === 'generated') as { password: string }
    const state = await stateOf(admin)
    expect(state.users).toHaveLength(1)
    expect(await verifyPassword(state.users[0]!.password_hash, generated.password)).toBe(true)
  })
})
