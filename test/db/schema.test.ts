import { sql, type Insertable, type Selectable } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DB } from '../../src/db/schema.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

/*
 * TypeScript types are erased, so the columns of the `DB` interface are restated below. The
 * types make `tsc` hold that list to the interface (every table and column, no more, and each
 * column's nullability, SQL type and whether inserts may omit it); the test holds the migrated
 * database to the list, in both directions.
 */

/** The PostgreSQL type (information_schema udt_name) a column's selected TypeScript type stands for. */
type SqlType<Value> =
  [Value] extends [Date] ? 'timestamptz'
    : [Value] extends [Uint8Array] ? 'bytea'
        : [Value] extends [string[]] ? '_text'
            : [Value] extends [string] ? 'text'
                : [Value] extends [boolean] ? 'bool'
                    : never

type RequiredKeys<Row> = { [Key in keyof Row]-?: object extends Pick<Row, Key> ? never : Key }[keyof Row]

type Selected<Table, Column> = Column extends keyof Selectable<Table> ? Selectable<Table>[Column] : never

interface ColumnFacts<Table, Column extends keyof Table> {
  nullable: null extends Selected<Table, Column> ? true : false
  type: SqlType<NonNullable<Selected<Table, Column>>>
  /** 'optional' when an insert may leave the column out (Kysely: it has a default or takes null). */
  insert: Column extends RequiredKeys<Insertable<Table>> ? 'required' : 'optional'
}

type ExpectedSchema = { [Table in keyof DB]: { [Column in keyof DB[Table]]-?: ColumnFacts<DB[Table], Column> } }

const EXPECTED: ExpectedSchema = {
  accounts: {
    id: { nullable: false, type: 'text', insert: 'required' },
    name: { nullable: false, type: 'text', insert: 'required' },
    enabled: { nullable: false, type: 'bool', insert: 'optional' },
    created_at: { nullable: false, type: 'timestamptz', insert: 'optional' },
    updated_at: { nullable: false, type: 'timestamptz', insert: 'optional' }
  },
  users: {
    id: { nullable: false, type: 'text', insert: 'required' },
    account_id: { nullable: false, type: 'text', insert: 'required' },
    name: { nullable: false, type: 'text', insert: 'required' },
    email: { nullable: true, type: 'text', insert: 'optional' },
    password_hash: { nullable: true, type: 'text', insert: 'optional' },
    enabled: { nullable: false, type: 'bool', insert: 'optional' },
    created_at: { nullable: false, type: 'timestamptz', insert: 'optional' },
    updated_at: { nullable: false, type: 'timestamptz', insert: 'optional' }
  },
  role_assignments: {
    user_id: { nullable: false, type: 'text', insert: 'required' },
    account_id: { nullable: false, type: 'text', insert: 'required' },
    role: { nullable: false, type: 'text', insert: 'required' },
    created_at: { nullable: false, type: 'timestamptz', insert: 'optional' }
  },
  api_keys: {
    user_id: { nullable: false, type: 'text', insert: 'required' },
    key_hash: { nullable: false, type: 'bytea', insert: 'required' },
    created_at: { nullable: false, type: 'timestamptz', insert: 'optional' }
  },
  auth_sessions: {
    audit_id: { nullable: false, type: 'text', insert: 'required' },
    secret_hash: { nullable: false, type: 'bytea', insert: 'required' },
    user_id: { nullable: false, type: 'text', insert: 'required' },
    account_id: { nullable: true, type: 'text', insert: 'optional' },
    roles: { nullable: false, type: '_text', insert: 'optional' },
    method: { nullable: false, type: 'text', insert: 'required' },
    audit_chain_id: { nullable: false, type: 'text', insert: 'required' },
    rescoped_from: { nullable: true, type: 'text', insert: 'optional' },
    issued_at: { nullable: false, type: 'timestamptz', insert: 'optional' },
    expires_at: { nullable: false, type: 'timestamptz', insert: 'required' },
    revoked_at: { nullable: true, type: 'timestamptz', insert: 'optional' }
  },
  agent_tokens: {
    account_id: { nullable: false, type: 'text', insert: 'required' },
    sort_key: { nullable: false, type: 'text', insert: 'required' },
    secret_hash: { nullable: false, type: 'bytea', insert: 'required' },
    token_sealed: { nullable: false, type: 'bytea', insert: 'required' },
    label: { nullable: true, type: 'text', insert: 'optional' },
    created_at: { nullable: false, type: 'timestamptz', insert: 'optional' },
    updated_at: { nullable: false, type: 'timestamptz', insert: 'optional' }
  }
}

/** Kysely's Migrator keeps its bookkeeping here; they are not part of the application's schema. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock']

interface CatalogColumn {
  table_name: string
  column_name: string
  is_nullable: 'YES' | 'NO'
  udt_name: string
  column_default: string | null
}

describe('src/db/schema.ts and the migrated database', () => {
  let database: TestDatabase
  let columns: CatalogColumn[]
  beforeAll(async () => {
    database = await createTestDatabase()
    const { rows } = await sql<CatalogColumn>`
      select table_name, column_name, is_nullable, udt_name, column_default
      from information_schema.columns
      where table_schema = current_schema()
      order by table_name, ordinal_position`.execute(database.db)
    columns = rows.filter((row) => !MIGRATOR_TABLES.includes(row.table_name))
  })
  afterAll(() => database.drop())

  it('has exactly the tables of the DB interface', async () => {
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(database.db)
    const tables = rows.map((row) => row.table_name).filter((name) => !MIGRATOR_TABLES.includes(name))
    expect(tables.sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it('has no views or other relations the interface would not know', async () => {
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type <> 'BASE TABLE'`.execute(database.db)
    expect(rows).toEqual([])
  })

  for (const [table, expected] of Object.entries(EXPECTED) as [string, Record<string, { nullable: boolean, type: string, insert: string }>][]) {
    describe(table, () => {
      const actual = () => columns.filter((column) => column.table_name === table)

      it('has exactly the columns of the interface', () => {
        expect(actual().map((column) => column.column_name).sort()).toEqual(Object.keys(expected).sort())
      })

      it('has the nullability and SQL type of each column', () => {
        const seen = Object.fromEntries(actual().map((column) => [column.column_name, { nullable: column.is_nullable === 'YES', type: column.udt_name }]))
        const wanted = Object.fromEntries(Object.entries(expected).map(([name, facts]) => [name, { nullable: facts.nullable, type: facts.type }]))
        expect(seen).toEqual(wanted)
      })

      it('supplies a value for every column an insert may leave out', () => {
        const missing = actual()
          .filter((column) => expected[column.column_name]?.insert === 'optional')
          .filter((column) => column.column_default === null && column.is_nullable === 'NO')
          .map((column) => column.column_name)
        expect(missing).toEqual([])
      })
    })
  }
})
