-- NetApp Astra Control user API tokens (spec conjur-astra.md Part B). The bearer value is base64
-- of 32 random bytes, shown once on creation; only its SHA-256 is kept, for lookup. A deleted
-- token is revoked (revoked_at set) and never matches again; lists and reads see only live ones.
-- Timestamps are kept to the millisecond, the precision the API writes and list cursors carry.

create table user_tokens (
  account_id text not null references accounts (id) on delete cascade,
  user_id text not null references users (id) on delete cascade on update cascade,
  id text collate "C" not null check (id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'),
  name text collate "C" not null check (char_length(name) between 1 and 63),
  secret_hash bytea not null unique,
  -- [{name, value}, …] as the API shows them, in the client's order.
  labels jsonb not null default '[]' check (jsonb_typeof(labels) = 'array'),
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  modified_at timestamptz not null default date_trunc('milliseconds', now()),
  -- The user who created or last changed the token (Astra's createdBy/modifiedBy).
  created_by text collate "C" not null,
  modified_by text collate "C",
  revoked_at timestamptz,
  -- Account first in every key (design.md, scale-out); the default list order is by id.
  primary key (account_id, user_id, id)
);

-- The other list orders (spec §B3 orderBy), each a range scan of live tokens whatever their number.
create index user_tokens_name_idx on user_tokens (account_id, user_id, name, id) where revoked_at is null;
create index user_tokens_created_idx on user_tokens (account_id, user_id, created_at, id) where revoked_at is null;
create index user_tokens_modified_idx on user_tokens (account_id, user_id, modified_at, id) where revoked_at is null;
create index user_tokens_created_by_idx on user_tokens (account_id, user_id, created_by, id) where revoked_at is null;
-- Foreign-key cascades find a user's tokens through the primary key's second column otherwise.
create index user_tokens_user_id_idx on user_tokens (user_id);
