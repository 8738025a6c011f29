-- Keystone v2.0 tokens. The token id is a secret: only its SHA-256 is stored.

create table auth_sessions (
  audit_id text primary key,
  secret_hash bytea not null unique,
  user_id text not null references users (id) on delete cascade,
  -- The tenant the token is scoped to; null for an unscoped token.
  account_id text references accounts (id) on delete cascade,
  -- Role names on account_id when the token was issued.
  roles text[] not null default '{}',
  method text not null check (method in ('password', 'apikey', 'token')),
  -- audit_ids[1] of a re-scoped token: the audit id of the first token in the chain.
  audit_chain_id text not null,
  rescoped_from text,
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);

-- The purge job walks this index in small batches.
create index auth_sessions_expires_at_idx on auth_sessions (expires_at);
-- Foreign-key cascades look sessions up by user and by account.
create index auth_sessions_user_id_idx on auth_sessions (user_id);
create index auth_sessions_account_id_idx on auth_sessions (account_id);
