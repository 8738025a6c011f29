-- Host factory tokens a Conjur host made (a host holding `execute` on a factory may create them):
-- the host's kill switch (POST …/hosts/{hostId}/revoke-credentials) ends them with its API key
-- and access tokens, as a user's ends the tokens the user made (migration 0013). The host's id in
-- its account; no foreign key, as for created_by: a token outlives nothing by it, and a deleted
-- host's tokens stay until they expire, are revoked or their factory goes.
alter table host_factory_tokens add column created_by_host text check (char_length(created_by_host) <= 255);
create index host_factory_tokens_created_by_host_idx on host_factory_tokens (account_id, created_by_host) where created_by_host is not null;
