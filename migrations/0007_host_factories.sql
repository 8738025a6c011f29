-- CyberArk Conjur host factories (spec conjur-astra.md Part A). Conjur's `{account}` is a Tessera
-- account; its users are Tessera users. Hosts, layers and host factories are new, per account.
-- Secrets (host API keys, host factory tokens) are kept as a SHA-256 lookup hash and an
-- AES-256-GCM copy under the server key: Conjur's login and its host factory view show them again.

create table hosts (
  account_id text not null references accounts (id) on delete cascade,
  id text not null check (char_length(id) between 1 and 255 and id !~ '[[:cntrl:]]'),
  annotations jsonb not null default '{}',
  -- The host factory that created it (owner); null once that factory is deleted.
  owner_host_factory_id text,
  api_key_hash bytea not null unique,
  api_key_sealed bytea not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (account_id, id)
);

create table layers (
  account_id text not null references accounts (id) on delete cascade,
  id text not null check (id ~ '^[A-Za-z0-9._@/-]{1,128}$'),
  created_at timestamptz not null default now(),
  primary key (account_id, id)
);

create table layer_hosts (
  account_id text not null,
  layer_id text not null,
  host_id text not null,
  primary key (account_id, layer_id, host_id),
  foreign key (account_id, layer_id) references layers (account_id, id) on delete cascade,
  foreign key (account_id, host_id) references hosts (account_id, id) on delete cascade
);

create index layer_hosts_host_idx on layer_hosts (account_id, host_id);

create table host_factories (
  account_id text not null references accounts (id) on delete cascade,
  id text not null check (id ~ '^[A-Za-z0-9._@/-]{1,128}$'),
  -- The owner is a user or a host of the account (at most one); null once it is deleted.
  owner_user_id text references users (id) on delete set null on update cascade,
  owner_host_id text,
  created_at timestamptz not null default now(),
  primary key (account_id, id),
  check (num_nonnulls(owner_user_id, owner_host_id) <= 1),
  foreign key (account_id, owner_host_id) references hosts (account_id, id) on delete set null (owner_host_id)
);

create index host_factories_owner_user_idx on host_factories (owner_user_id);
create index host_factories_owner_host_idx on host_factories (account_id, owner_host_id);

alter table hosts add foreign key (account_id, owner_host_factory_id)
  references host_factories (account_id, id) on delete set null (owner_host_factory_id);
create index hosts_owner_host_factory_idx on hosts (account_id, owner_host_factory_id);

create table host_factory_layers (
  account_id text not null,
  host_factory_id text not null,
  layer_id text not null,
  primary key (account_id, host_factory_id, layer_id),
  foreign key (account_id, host_factory_id) references host_factories (account_id, id) on delete cascade,
  foreign key (account_id, layer_id) references layers (account_id, id) on delete cascade
);

-- Role × privilege × host factory. The role is a user or a host of the account (exactly one).
create table host_factory_permissions (
  account_id text not null,
  host_factory_id text not null,
  user_id text references users (id) on delete cascade on update cascade,
  host_id text,
  privilege text not null check (privilege in ('read', 'execute', 'update')),
  created_at timestamptz not null default now(),
  check (num_nonnulls(user_id, host_id) = 1),
  unique nulls not distinct (account_id, host_factory_id, user_id, host_id, privilege),
  foreign key (account_id, host_factory_id) references host_factories (account_id, id) on delete cascade,
  foreign key (account_id, host_id) references hosts (account_id, id) on delete cascade
);

create index host_factory_permissions_user_idx on host_factory_permissions (user_id);
create index host_factory_permissions_host_idx on host_factory_permissions (account_id, host_id);

-- A token is looked up by the SHA-256 of its value (one indexed read on every host enrolment);
-- `cidr` is empty for "no restriction". Expired tokens stay until revoked or their factory goes.
create table host_factory_tokens (
  token_sha256 bytea primary key,
  token_sealed bytea not null,
  account_id text not null,
  host_factory_id text not null,
  cidr cidr[] not null default '{}',
  expiration timestamptz not null,
  created_at timestamptz not null default now(),
  foreign key (account_id, host_factory_id) references host_factories (account_id, id) on delete cascade
);

create index host_factory_tokens_factory_idx on host_factory_tokens (account_id, host_factory_id);
