-- The hygiene report (issue 21, item 3) reads one account's credentials a page at a time, in
-- accessor order, from the `credentials` view (migration 0014). For a page to cost the same
-- whatever the number of credentials, PostgreSQL must read each kind from an index in accessor
-- order and merge them (a Merge Append under the LIMIT). Three things stopped it:
--
-- * a session's account was coalesce(scope, the user's own account), an expression over a join
--   that no index answers: every page read every session of every account. Scoped sessions now
--   come from the table alone; unscoped ones, through their user's account, from a partial index;
-- * a session's accessor, its audit id, sorted in the database's collation while every other
--   accessor sorts in "C", so no index gave the order the view sorts by;
-- * Astra tokens had no index on (account, id).
--
-- The view keeps its columns, their meaning and its rows (a session revoked after it expired ended
-- when it expired). Its `created_by` now has users.id's
-- collation, so it compares with user ids as they are indexed.

drop view credentials;

alter table auth_sessions alter column audit_id type text collate "C";
-- Its prefix serves what the old index on account_id did (the accounts' cascade).
create index auth_sessions_account_accessor_idx on auth_sessions (account_id, audit_id);
drop index auth_sessions_account_id_idx;
create index auth_sessions_unscoped_idx on auth_sessions (user_id) where account_id is null;
create index user_tokens_account_accessor_idx on user_tokens (account_id, id);
-- The report's "owned by a disabled user" reads the disabled users once per page, from here.
create index users_disabled_idx on users (id) where not enabled;

-- Each kind's rows come straight from one table, so PostgreSQL can merge the kinds' index scans;
-- the outer filter drops the scoped branch's unscoped sessions, which the next branch gives
-- with their user's account.
create view credentials as
select * from (
  select 'session'::text as kind, s.audit_id as accessor, s.account_id as account_id,
    'user'::text as owner_type, s.user_id as owner_id, s.user_id as created_by, null::text as name,
    s.issued_at as created_at, s.expires_at,
    case when s.revoked_at is not null then least(s.revoked_at, s.expires_at) when s.expires_at <= now() then s.expires_at end as ended_at
  from auth_sessions s
  union all
  select 'session', s.audit_id, u.account_id, 'user', s.user_id, s.user_id, null,
    s.issued_at, s.expires_at,
    case when s.revoked_at is not null then least(s.revoked_at, s.expires_at) when s.expires_at <= now() then s.expires_at end
  from auth_sessions s join users u on u.id = s.user_id
  where s.account_id is null
  union all
  select 'api-key', k.accessor, u.account_id, 'user', k.user_id, k.user_id, null, k.created_at, null, null
  from api_keys k join users u on u.id = k.user_id
  union all
  select 'agent-token', t.accessor, t.account_id, 'account', t.account_id, t.created_by, t.label, t.created_at, null, null
  from agent_tokens t
  union all
  select 'astra-token', t.id, t.account_id, 'user', t.user_id, t.created_by collate "default", t.name, t.created_at, null, t.revoked_at
  from user_tokens t
  union all
  select 'host-factory-token', t.accessor, t.account_id, 'host-factory', t.host_factory_id, t.created_by, null, t.created_at,
    t.expiration, case when t.expiration <= now() then t.expiration end
  from host_factory_tokens t
  union all
  -- A host's kill switch replaces its key with one nobody holds, in the statement that sets its
  -- "not before" instant: that key ended as it was made.
  select 'host-api-key', h.api_key_accessor, h.account_id, 'host', h.id, null, null, h.api_key_created_at, null,
    case when h.access_tokens_not_before >= h.api_key_created_at then h.access_tokens_not_before end
  from hosts h
) as every_credential
where account_id is not null;
