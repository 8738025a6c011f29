-- Conjur's resource listing (GET /resources/{account}[/{kind}]) orders by resource id in code-point
-- order (collate "C", the same on every database whatever its default collation): one index range
-- scan per kind, in that order, serves a page.
create index hosts_listing_idx on hosts (account_id, id collate "C");
create index host_factories_listing_idx on host_factories (account_id, id collate "C");
create index layers_listing_idx on layers (account_id, id collate "C");
