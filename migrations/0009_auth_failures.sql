-- Failed credentials counted per key (a client address, or a user name from a client address)
-- in fixed windows, shared by every replica; see src/core/failure-limits.ts. A row lives only
-- for its window: one upsert counts a failure (starting a new window when the old one ended),
-- and each replica deletes ended windows every SESSION_PURGE_INTERVAL. Keys hold no secret.

create table auth_failures (
  key text collate "C" primary key,
  failures integer not null check (failures > 0),
  window_ends_at timestamptz not null
);

-- The purge deletes ended windows in batches, oldest first.
create index auth_failures_window_ends_at_idx on auth_failures (window_ends_at);
