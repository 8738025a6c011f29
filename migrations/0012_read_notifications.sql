-- Every replica keeps the objects of a few hot reads in memory for a second (READ_CACHE_MS): one
-- agent token, a user's Astra token list, a host factory as GET /resources shows it. A change or
-- removal notifies them all on commit, on the channel of migration 0008, so none is shown after
-- it. Inserts notify nothing: a NOTIFY serialises the commits of every notifying transaction,
-- which would halve the insert rate of issuance; another replica shows a new row within
-- READ_CACHE_MS, the replica that wrote it at once.

-- An agent token relabelled or deleted.
create function tessera_notify_agent_token_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'agent-token:' || old.account_id || '/' || encode(old.secret_hash, 'hex'));
  return null;
end
$$;

create trigger agent_tokens_notify_reads after update or delete on agent_tokens
  for each row execute function tessera_notify_agent_token_change();

-- One of a user's Astra tokens revoked, renamed or deleted: their token list.
create function tessera_notify_user_token_list_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'astra-tokens:' || old.account_id || '/' || old.user_id);
  return null;
end
$$;

create trigger user_tokens_notify_reads after update or delete on user_tokens
  for each row execute function tessera_notify_user_token_list_change();

-- A host factory, or one of its layers, permissions or tokens, changed or deleted (directly, or
-- by the cascade of a deleted host, layer, user or account).
create function tessera_notify_host_factory_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'conjur-factory:' || old.account_id || '/' || old.id);
  return null;
end
$$;

create function tessera_notify_host_factory_part_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('tessera_credentials', 'conjur-factory:' || old.account_id || '/' || old.host_factory_id);
  return null;
end
$$;

create trigger host_factories_notify_reads after update or delete on host_factories
  for each row execute function tessera_notify_host_factory_change();
create trigger host_factory_layers_notify_reads after update or delete on host_factory_layers
  for each row execute function tessera_notify_host_factory_part_change();
create trigger host_factory_permissions_notify_reads after update or delete on host_factory_permissions
  for each row execute function tessera_notify_host_factory_part_change();
create trigger host_factory_tokens_notify_reads after update or delete on host_factory_tokens
  for each row execute function tessera_notify_host_factory_part_change();
