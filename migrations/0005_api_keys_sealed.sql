-- Conjur's login returns a user's existing API key (spec conjur-astra.md §A6), so beside the
-- SHA-256 lookup hash an AES-256-GCM copy is kept under the server key, bound to the user.
-- Keys issued before this migration have no copy: they keep working for login, and the next
-- rotation stores one.

alter table api_keys add column key_sealed bytea;
