-- Identity core: accounts (tenants), users, role assignments and API keys.
-- Ids are opaque text: Rackspace tenants are numeric strings, Keystone ids are hex.

create table accounts (
  id text primary key check (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  name text not null unique check (char_length(name) between 1 and 64),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table users (
  id text primary key,
  account_id text not null references accounts (id) on delete cascade,
  name text not null unique check (char_length(name) between 1 and 64),
  email text check (char_length(email) <= 254),
  password_hash text,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index users_account_id_idx on users (account_id, id);

create table role_assignments (
  user_id text not null references users (id) on delete cascade,
  account_id text not null references accounts (id) on delete cascade,
  role text not null check (role ~ '^[A-Za-z0-9._:-]{1,64}$'),
  created_at timestamptz not null default now(),
  primary key (user_id, account_id, role)
);

create index role_assignments_account_id_idx on role_assignments (account_id);

-- One active key per user: rotating replaces the row. Only the SHA-256 is kept.
create table api_keys (
  user_id text primary key references users (id) on delete cascade,
  key_hash bytea not null unique,
  created_at timestamptz not null default now()
);
