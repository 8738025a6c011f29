#!/bin/sh
# The scale profile's hot standby: on first start, a base backup of the primary that writes its
# own recovery settings (-R); then PostgreSQL follows the primary's WAL and answers reads.
set -eu
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # The primary may still be starting: pg_basebackup empties what it wrote when it fails.
  until gosu postgres pg_basebackup --host=postgres --username=replicator --pgdata="$PGDATA" \
      --wal-method=stream --write-recovery-conf; do
    echo "standby: the primary is not ready; trying again"
    sleep 2
  done
fi
exec gosu postgres postgres -c hot_standby=on
