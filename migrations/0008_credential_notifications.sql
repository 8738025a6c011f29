-- Every replica keeps validated credentials in memory for a few seconds. A change that can end a
-- credential notifies them all on commit (channel tessera_credentials), whoever made it: another
-- replica, the CLI, a migration, an operator's psql. Inserts end nothing and notify nothing.

-- A session changed (revoked) or went away (purged, its user or account deleted): its hash.
create function tessera_notify_session_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'session:' || encode(old.secret_hash, 'hex'));
  return null;
end
$$;

create trigger auth_sessions_notify after update or delete on auth_sessions
  for each row execute function tessera_notify_session_change();

-- A user or an account changed (disabled, renamed, deleted): every cached credential may depend on it.
create function tessera_notify_identity_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', '*');
  return null;
end
$$;

create trigger users_notify after update or delete on users
  for each statement execute function tessera_notify_identity_change();
create trigger accounts_notify after update or delete on accounts
  for each statement execute function tessera_notify_identity_change();
