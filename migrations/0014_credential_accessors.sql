-- A non-secret handle (accessor) for every stored credential (issue 21, item 1): shown when the
-- credential is made and in every list, accepted by every admin call that names a credential,
-- recorded in the audit trail in place of anything derived from the secret.
--
-- Sessions already have one: their audit id (Keystone's own non-secret handle). Astra tokens have
-- theirs: the token's id. The others get a random one, with a prefix saying its kind, never
-- derived from the secret: agt_ agent tokens, hft_ host factory tokens, uak_ users' API keys,
-- hak_ hosts' API keys. A new key (rotation) is a new credential, with a new accessor.

create function tessera_new_accessor(prefix text) returns text language sql volatile as $$
  select prefix || '_' || replace(gen_random_uuid()::text, '-', '')
$$;

-- The backfills change no token a replica may have cached: their notification triggers stay
-- quiet (one notification per row would flood every replica's listener on a large table).
alter table agent_tokens add column accessor text collate "C";
alter table agent_tokens disable trigger user;
update agent_tokens set accessor = tessera_new_accessor('agt');
alter table agent_tokens enable trigger user;
alter table agent_tokens
  alter column accessor set not null,
  alter column accessor set default tessera_new_accessor('agt'),
  add constraint agent_tokens_accessor_format check (accessor ~ '^agt_[0-9A-Za-z]{20,40}$'),
  add constraint agent_tokens_accessor_key unique (accessor);

alter table host_factory_tokens add column accessor text collate "C";
alter table host_factory_tokens disable trigger user;
update host_factory_tokens set accessor = tessera_new_accessor('hft');
alter table host_factory_tokens enable trigger user;
alter table host_factory_tokens
  alter column accessor set not null,
  alter column accessor set default tessera_new_accessor('hft'),
  add constraint host_factory_tokens_accessor_format check (accessor ~ '^hft_[0-9A-Za-z]{20,40}$'),
  add constraint host_factory_tokens_accessor_key unique (accessor);

alter table api_keys add column accessor text collate "C";
update api_keys set accessor = tessera_new_accessor('uak');
alter table api_keys
  alter column accessor set not null,
  alter column accessor set default tessera_new_accessor('uak'),
  add constraint api_keys_accessor_format check (accessor ~ '^uak_[0-9A-Za-z]{20,40}$'),
  add constraint api_keys_accessor_key unique (accessor);

-- A host's key lives on its row: its accessor and its age beside it.
alter table hosts add column api_key_accessor text collate "C", add column api_key_created_at timestamptz;
alter table hosts disable trigger user;
update hosts set api_key_accessor = tessera_new_accessor('hak'), api_key_created_at = updated_at;
alter table hosts enable trigger user;
alter table hosts
  alter column api_key_accessor set not null,
  alter column api_key_accessor set default tessera_new_accessor('hak'),
  alter column api_key_created_at set not null,
  alter column api_key_created_at set default now(),
  add constraint hosts_api_key_accessor_format check (api_key_accessor ~ '^hak_[0-9A-Za-z]{20,40}$'),
  add constraint hosts_api_key_accessor_key unique (api_key_accessor);

-- Usage (item 2): each replica counts uses in memory and adds them here in one statement per
-- flush interval. A table of its own, keyed by accessor: the flush takes no lock on a
-- credential's row, and fires none of the triggers that empty the replicas' caches. No foreign
-- key (accessors live in several tables); the retention purge removes the rows of credentials
-- that are gone.
create table credential_usage (
  accessor text collate "C" primary key check (char_length(accessor) <= 64),
  use_count bigint not null check (use_count >= 0),
  last_used_at timestamptz not null
);

-- Every stored credential, one row each, for the admin API's lookup, revocation and hygiene
-- report. `ended_at` is set once a credential works no more (revoked, or expired for the kinds
-- that expire). A session's account is its scope, or its user's own for an unscoped one.
create view credentials as
  select 'session'::text as kind, s.audit_id as accessor, coalesce(s.account_id, u.account_id) as account_id,
    'user'::text as owner_type, s.user_id as owner_id, s.user_id as created_by, null::text as name,
    s.issued_at as created_at, s.expires_at,
    case when s.revoked_at is not null then least(s.revoked_at, s.expires_at) when s.expires_at <= now() then s.expires_at end as ended_at
  from auth_sessions s join users u on u.id = s.user_id
  union all
  select 'api-key', k.accessor, u.account_id, 'user', k.user_id, k.user_id, null, k.created_at, null, null
  from api_keys k join users u on u.id = k.user_id
  union all
  select 'agent-token', t.accessor, t.account_id, 'account', t.account_id, t.created_by, t.label, t.created_at, null, null
  from agent_tokens t
  union all
  select 'astra-token', t.id, t.account_id, 'user', t.user_id, t.created_by, t.name, t.created_at, null, t.revoked_at
  from user_tokens t
  union all
  select 'host-factory-token', t.accessor, t.account_id, 'host-factory', t.host_factory_id, t.created_by, null, t.created_at,
    t.expiration, case when t.expiration <= now() then t.expiration end
  from host_factory_tokens t
  union all
  select 'host-api-key', h.api_key_accessor, h.account_id, 'host', h.id, null, null, h.api_key_created_at, null, null
  from hosts h;

-- The report walks an account's credentials of each kind in accessor order.
create index agent_tokens_accessor_idx on agent_tokens (account_id, accessor);
create index host_factory_tokens_accessor_idx on host_factory_tokens (account_id, accessor);
create index hosts_api_key_accessor_idx on hosts (account_id, api_key_accessor);

-- What a credential did: the accessor of the credential the actor presented, beside the object
-- an event is about. The audit list's `accessor` filter finds either.
alter table audit_events add column actor_credential text check (char_length(actor_credential) <= 64);
create index audit_events_object_idx on audit_events (account_id, object_id, id) where object_id is not null;
create index audit_events_actor_credential_idx on audit_events (account_id, actor_credential, id) where actor_credential is not null;

-- Retention (item 6) deletes the oldest events and ended credentials in batches.
create index audit_events_occurred_at_idx on audit_events (occurred_at);
create index user_tokens_revoked_at_idx on user_tokens (revoked_at) where revoked_at is not null;
create index host_factory_tokens_expiration_idx on host_factory_tokens (expiration);
