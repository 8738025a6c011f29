-- Who made each agent token and host factory token (issue 21, item 4): a user's kill switch
-- (POST …/users/{userId}/revoke-credentials) ends them with the rest of the user's credentials.
-- The user's id when a user made it through an API; null when it was made before this
-- migration, or by a Conjur host. No foreign key, as for the audit trail: a token keeps the id of
-- a user deleted since, which names nobody, and checking users on every insert would cost the
-- busiest writes a lookup and a lock on the user's row.
alter table agent_tokens add column created_by text check (char_length(created_by) <= 255);
alter table host_factory_tokens add column created_by text check (char_length(created_by) <= 255);

create index agent_tokens_created_by_idx on agent_tokens (created_by) where created_by is not null;
create index host_factory_tokens_created_by_idx on host_factory_tokens (created_by) where created_by is not null;
