-- Every replica keeps the objects of a few hot reads in memory for a second (READ_CACHE_MS): one
-- agent token, a user's Astra token list, a host factory as GET /resources shows it. A change or
-- removal notifies them all on commit, on the channel of migration 0008, so none is shown after
-- it. Inserts notify nothing: a NOTIFY serialises the commits of every notifying transaction,
-- which would halve the insert rate of issuance; another replica shows a new row within
-- READ_CACHE_MS, the replica that wrote it at once.

-- Notifies `<prefix><old row's first column>/<old row's second column>`: the trigger's arguments
-- are the prefix and the two column names. Rows change rarely: reading them as JSON costs nothing.
create function tessera_notify_read_change() returns trigger language plpgsql as $$
declare
  row jsonb := to_jsonb(old);
begin
  perform pg_notify('tessera_credentials', tg_argv[0] || (row ->> tg_argv[1]) || '/' || (row ->> tg_argv[2]));
  return null;
end
$$;

-- An agent token relabelled or deleted.
create trigger agent_tokens_notify_reads after update or delete on agent_tokens
  for each row execute function tessera_notify_read_change('agent-token:', 'account_id', 'sort_key');

-- One of a user's Astra tokens revoked, renamed or deleted: their token list.
create trigger user_tokens_notify_reads after update or delete on user_tokens
  for each row execute function tessera_notify_read_change('astra-tokens:', 'account_id', 'user_id');

-- A host factory, or one of its layers, permissions or tokens, changed or deleted (directly, or
-- by the cascade of a deleted host, layer, user or account).
create trigger host_factories_notify_reads after update or delete on host_factories
  for each row execute function tessera_notify_read_change('conjur-factory:', 'account_id', 'id');
create trigger host_factory_layers_notify_reads after update or delete on host_factory_layers
  for each row execute function tessera_notify_read_change('conjur-factory:', 'account_id', 'host_factory_id');
create trigger host_factory_permissions_notify_reads after update or delete on host_factory_permissions
  for each row execute function tessera_notify_read_change('conjur-factory:', 'account_id', 'host_factory_id');
create trigger host_factory_tokens_notify_reads after update or delete on host_factory_tokens
  for each row execute function tessera_notify_read_change('conjur-factory:', 'account_id', 'host_factory_id');
