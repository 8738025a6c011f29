import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CREDENTIALS_CHANNEL } from '../../src/db/credential-changes.js'
import { EVERY_KEY } from '../../src/db/notified-keys.js'
import { agentTokenCacheKey } from '../../src/families/agent-tokens/cache-keys.js'
import { astraTokenCacheKey, tokenListGroup } from '../../src/families/astra/cache-keys.js'
import { callerCacheKey, factoryCacheKey } from '../../src/families/conjur/cache-keys.js'
import { sessionCacheKey } from '../../src/services/sessions.js'
import { DAY, insertAgentToken, insertAstraToken, insertHost, insertHostFactoryToken, insertSession } from '../helpers/ended-credentials.js'
import { insertTenantUser, unique } from '../helpers/factories.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

// The triggers' SQL (migrations 0008, 0011, 0012) writes the keys the TypeScript builds: each
// trigger is made to fire, and its payload must be the key the code reads and forgets by.
describe.runIf(inject('testDatabase').kind === 'postgres')('the keys the triggers notify are the keys the code builds (PostgreSQL)', () => {
  let database: TestDatabase
  let listener: pg.Client
  const heard: string[] = []
  let arrived: () => void = () => {}

  beforeAll(async () => {
    database = await createTestDatabase()
    listener = new pg.Client({ connectionString: database.url })
    listener.on('notification', ({ payload }) => {
      heard.push(payload ?? '')
      arrived()
    })
    await listener.connect()
    await listener.query(`listen ${CREDENTIALS_CHANNEL}`)
  })
  afterAll(async () => {
    await listener?.end()
    await database?.drop()
  })

  /** Once every notification committed so far has arrived: a marker sent now has. */
  async function allHeard (): Promise<void> {
    const marker = unique('marker')
    const markerHeard = new Promise<void>((resolve) => { arrived = () => { if (heard.includes(marker)) resolve() } })
    await database.db.selectNoFrom((eb) => eb.fn('pg_notify', [eb.val(CREDENTIALS_CHANNEL), eb.val(marker)]).as('sent')).execute()
    await markerHeard
    heard.splice(heard.indexOf(marker))
  }

  /** The payloads `change` makes notify, and nothing that the setup before it did. */
  async function notifiedBy (change: () => Promise<unknown>): Promise<string[]> {
    await allHeard()
    heard.length = 0
    await change()
    await allHeard()
    return [...heard].sort()
  }

  it('a session changed: its hash', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    const auditId = await insertSession(db, { id: user.user.id, accountId: user.account.id }, { expiresAt: new Date(Date.now() + DAY) })
    const { secret_hash: hash } = await db.selectFrom('auth_sessions').select('secret_hash').where('audit_id', '=', auditId).executeTakeFirstOrThrow()
    expect(await notifiedBy(() => db.updateTable('auth_sessions').set({ revoked_at: new Date() }).where('audit_id', '=', auditId).execute())).toEqual([sessionCacheKey(hash)])
  })

  it('a user, an account or a role granted: every key', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    expect(await notifiedBy(() => db.updateTable('users').set({ enabled: false }).where('id', '=', user.user.id).execute())).toEqual([EVERY_KEY])
    expect(await notifiedBy(() => db.updateTable('accounts').set({ enabled: false }).where('id', '=', user.account.id).execute())).toEqual([EVERY_KEY])
    expect(await notifiedBy(() => db.insertInto('role_assignments').values({ account_id: user.account.id, user_id: user.user.id, role: 'admin' }).execute())).toEqual([EVERY_KEY])
  })

  it('an Astra token changed: its hash, and its user\'s token list', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    const id = await insertAstraToken(db, { id: user.user.id, accountId: user.account.id })
    const { secret_hash: hash } = await db.selectFrom('user_tokens').select('secret_hash').where('id', '=', id).executeTakeFirstOrThrow()
    expect(await notifiedBy(() => db.updateTable('user_tokens').set({ revoked_at: new Date() }).where('id', '=', id).execute()))
      .toEqual([astraTokenCacheKey(hash), tokenListGroup(user.account.id, user.user.id)].sort())
  })

  it('an agent token changed: its sort key', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    const accessor = await insertAgentToken(db, user.account.id)
    const { sort_key: sortKey } = await db.selectFrom('agent_tokens').select('sort_key').where('accessor', '=', accessor).executeTakeFirstOrThrow()
    expect(await notifiedBy(() => db.updateTable('agent_tokens').set({ label: 'changed' }).where('accessor', '=', accessor).execute()))
      .toEqual([agentTokenCacheKey(user.account.id, sortKey)])
  })

  it('a host deleted: its caller', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    const accessor = await insertHost(db, user.account.id)
    const { id } = await db.selectFrom('hosts').select('id').where('api_key_accessor', '=', accessor).executeTakeFirstOrThrow()
    expect(await notifiedBy(() => db.deleteFrom('hosts').where('api_key_accessor', '=', accessor).execute()))
      .toEqual([callerCacheKey(user.account.id, `host/${id}`)])
  })

  it('a host factory, its layers, permissions or tokens changed: the factory', async () => {
    const { db } = database
    const user = await insertTenantUser(db)
    const accountId = user.account.id
    const accessor = await insertHostFactoryToken(db, accountId, new Date(Date.now() + DAY))
    const { host_factory_id: factoryId } = await db.selectFrom('host_factory_tokens').select('host_factory_id').where('accessor', '=', accessor).executeTakeFirstOrThrow()
    const factory = factoryCacheKey(accountId, factoryId)
    const layer = unique('layer')
    await db.insertInto('layers').values({ account_id: accountId, id: layer }).execute()
    await db.insertInto('host_factory_layers').values({ account_id: accountId, host_factory_id: factoryId, layer_id: layer }).execute()
    await db.insertInto('host_factory_permissions').values({ account_id: accountId, host_factory_id: factoryId, user_id: user.user.id, privilege: 'read' }).execute()

    expect(await notifiedBy(() => db.updateTable('host_factory_tokens').set({ expiration: new Date(Date.now() + 2 * DAY) }).where('accessor', '=', accessor).execute())).toEqual([factory])
    expect(await notifiedBy(() => db.deleteFrom('host_factory_permissions').where('host_factory_id', '=', factoryId).execute())).toEqual([factory])
    expect(await notifiedBy(() => db.deleteFrom('host_factory_layers').where('host_factory_id', '=', factoryId).execute())).toEqual([factory])
    // Its tokens go with it (a cascade) and notify the same key, which PostgreSQL sends once a transaction.
    expect(await notifiedBy(() => db.deleteFrom('host_factories').where('id', '=', factoryId).execute())).toEqual([factory])
  })
})
