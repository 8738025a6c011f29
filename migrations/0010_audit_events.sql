-- The audit trail (issue 12, items 8, 10, 11): every issue, re-scope, revoke, delete, admin
-- change and refused authentication or authorisation, with who, what, which object, the client's
-- address and the request id it saw. Never a secret. Changes are written in the transaction of
-- the change; refusals are written in batches (src/services/denial-queue.ts).

create table audit_events (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  -- The account the event belongs to; null for a refusal of a credential naming no known account.
  -- No foreign key: the trail outlives the accounts, users and tokens it names.
  account_id text,
  kind text not null check (kind ~ '^[a-z][a-z0-9.-]{0,63}$'),
  -- Who acted: a user, host or host factory (by credential), the operator CLI, or nobody known.
  actor_kind text check (char_length(actor_kind) <= 32),
  actor_id text check (char_length(actor_id) <= 255),
  actor_name text check (char_length(actor_name) <= 255),
  -- The object acted on: its type and id (a session's audit id, a token id, a user id…).
  object_type text check (char_length(object_type) <= 64),
  object_id text check (char_length(object_id) <= 512),
  -- Why a refusal was made (unknown, expired, revoked, wrong-origin, missing-privilege…).
  reason text check (char_length(reason) <= 64),
  request_id text check (char_length(request_id) <= 128),
  client_ip text check (char_length(client_ip) <= 64),
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object')
);

-- The admin list walks one account's events by id, optionally of one kind, or finds a request's.
create index audit_events_account_idx on audit_events (account_id, id);
create index audit_events_account_kind_idx on audit_events (account_id, kind, id);
create index audit_events_request_idx on audit_events (request_id) where request_id is not null;

-- The kill switch (POST …/revoke-credentials) ends Conjur access tokens, which are verified by
-- signature alone, by refusing those issued before this instant; the caller's role is read from
-- the database on every Conjur request already, so the check costs no extra round trip.
alter table users add column access_tokens_not_before timestamptz;
alter table hosts add column access_tokens_not_before timestamptz;

-- Revoking a host's credentials updates its row; replicas that keep a validated Conjur caller in
-- memory must forget it at once, as they do for users (0008 notifies every update of users).
create trigger hosts_credentials_revoked_notify after update of access_tokens_not_before on hosts
  for each statement execute function tessera_notify_identity_change();
