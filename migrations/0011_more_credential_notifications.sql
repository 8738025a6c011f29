-- Astra API tokens and Conjur callers are cached like sessions (migration 0008): a change that
-- can end one notifies every replica on commit, on the same channel.

-- An Astra token revoked, renamed or deleted: its hash.
create function tessera_notify_user_token_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'astra-token:' || encode(old.secret_hash, 'hex'));
  return null;
end
$$;

create trigger user_tokens_notify after update or delete on user_tokens
  for each row execute function tessera_notify_user_token_change();

-- A role granted or taken away changes what every credential of its user may do. Unlike the
-- other tables, an insert matters here: a grant.
create trigger role_assignments_notify after insert or update or delete on role_assignments
  for each statement execute function tessera_notify_identity_change();

-- A Conjur host deleted: its access tokens name a role that no longer exists (spec §A0.2).
create function tessera_notify_host_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'conjur-caller:' || old.account_id || '/host/' || old.id);
  return null;
end
$$;

create trigger hosts_notify after delete on hosts
  for each row execute function tessera_notify_host_change();
