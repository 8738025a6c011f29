import { describe, expect, it } from 'vitest'
import { isPlainRead, parseLsn, primaryOnlyPattern, standbyMayAnswer } from '../../src/db/read-replicas.js'
import { FAMILIES } from '../../src/families/index.js'

describe('which statements a standby may answer', () => {
  it.each([
    'select * from auth_sessions where secret_hash = $1',
    '  SELECT a.id FROM accounts a JOIN users u ON u.account_id = a.id',
    'with page as (select id from agent_tokens order by sort_key limit 10) select * from page',
    'select updated_at, inserted_by from user_tokens'
  ])('%s', (sql) => expect(standbyMayAnswer(sql)).toBe(true))

  it.each([
    'insert into auth_sessions values ($1)',
    'update auth_sessions set revoked_at = now()',
    'with gone as (delete from auth_sessions returning id) select count(*) from gone',
    'select * from users where id = $1 for update',
    'select * from hosts for no key update',
    'select * from hosts for share',
    "select nextval('seq')",
    'select pg_advisory_xact_lock(1)',
    "select set_config('lock_timeout', '1', true)",
    'begin',
    'commit'
  ])('not a write: %s', (sql) => {
    expect(isPlainRead(sql)).toBe(false)
    expect(standbyMayAnswer(sql)).toBe(false)
  })

  it.each([
    'select count from auth_failures where key = $1',
    'select key_sealed from api_keys where user_id = $1',
    'select name from kysely_migration'
  ])('not a table of the identity core whose changes nothing announces: %s', (sql) => {
    expect(isPlainRead(sql)).toBe(true)
    expect(standbyMayAnswer(sql)).toBe(false)
  })

  it('nor one a family names (TokenFamily.primaryOnlyTables), as the server passes them', () => {
    const families = primaryOnlyPattern(FAMILIES.flatMap((family) => family.primaryOnlyTables ?? []))
    for (const sql of ['select * from layer_hosts', 'select l.name from layers l where l.account_id = $1']) {
      expect(standbyMayAnswer(sql)).toBe(true)
      expect(standbyMayAnswer(sql, families)).toBe(false)
    }
    expect(standbyMayAnswer('select * from hosts where account_id = $1', families)).toBe(true)
  })
})

describe('parseLsn', () => {
  it('orders WAL positions as PostgreSQL does', () => {
    expect(parseLsn('0/0')).toBe(0n)
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xB374D848n)
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true)
  })
})
