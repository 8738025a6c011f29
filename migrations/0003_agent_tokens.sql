-- Rackspace Cloud Monitoring agent tokens. A token id is `<sort key><secret>.<tenantId>`:
-- 16 hex digits of non-secret sort key (creation time in ms + random bits), then 48 hex
-- digits (192 bits) of secret. The secret is kept only as the SHA-256 of the whole id, for
-- lookup, and as an AES-256-GCM copy, because the API shows the value again.

create table agent_tokens (
  account_id text not null references accounts (id) on delete cascade,
  sort_key text collate "C" not null check (sort_key ~ '^[0-9a-f]{16}$'),
  secret_hash bytea not null unique,
  token_sealed bytea not null,
  label text check (char_length(label) between 1 and 255),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Listing is by id within a tenant: this key is that order, so every page is one index range scan.
  primary key (account_id, sort_key)
);
