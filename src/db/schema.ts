import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/**
 * The database as migrations/ leaves it. Written by hand (few tables); test/db/schema.test.ts
 * compares it with the migrated catalog so the two cannot drift.
 */
type CreatedAt = ColumnType<Date, Date | undefined, never>
type UpdatedAt = ColumnType<Date, Date | undefined, Date>
/** pg returns Buffer, PGlite returns Uint8Array. */
type Bytes = Uint8Array

export interface AccountsTable {
  id: string
  name: string
  enabled: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface UsersTable {
  id: string
  account_id: string
  name: string
  email: string | null
  password_hash: string | null
  enabled: Generated<boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface RoleAssignmentsTable {
  user_id: string
  account_id: string
  role: string
  created_at: CreatedAt
}

export interface ApiKeysTable {
  user_id: string
  key_hash: Bytes
  created_at: UpdatedAt
}

export interface AuthSessionsTable {
  audit_id: string
  secret_hash: Bytes
  user_id: string
  account_id: string | null
  roles: ColumnType<string[], string[] | undefined, never>
  method: 'password' | 'apikey' | 'token'
  audit_chain_id: string
  rescoped_from: string | null
  issued_at: ColumnType<Date, Date | undefined, never>
  expires_at: ColumnType<Date, Date, never>
  revoked_at: ColumnType<Date | null, never, Date>
}

export interface AgentTokensTable {
  account_id: string
  sort_key: string
  secret_hash: Bytes
  token_sealed: Bytes
  label: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface DB {
  accounts: AccountsTable
  users: UsersTable
  role_assignments: RoleAssignmentsTable
  api_keys: ApiKeysTable
  auth_sessions: AuthSessionsTable
  agent_tokens: AgentTokensTable
}

export type AccountRow = Selectable<AccountsTable>
export type NewAccount = Insertable<AccountsTable>
export type AccountUpdate = Updateable<AccountsTable>
export type UserRow = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type AuthSessionRow = Selectable<AuthSessionsTable>
export type NewAuthSession = Insertable<AuthSessionsTable>
export type AgentTokenRow = Selectable<AgentTokensTable>
export type NewAgentToken = Insertable<AgentTokensTable>
