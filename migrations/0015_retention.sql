-- Retention (issue 21, item 6). The purge deletes sessions revoked before its cutoff, not only
-- expired ones: it walks their revocation times. It also removes the use counts of credentials
-- that are gone, probing the credentials view by accessor, and an Astra token's accessor is its
-- id, which no index led (its key starts with the account and the user).
create index auth_sessions_revoked_at_idx on auth_sessions (revoked_at) where revoked_at is not null;
create index user_tokens_id_idx on user_tokens (id);
