#!/usr/bin/env bash
# The replica of `docker compose --profile scale up` (docs/SCALING.md): on an empty volume, copy the
# primary with pg_basebackup (-R writes standby.signal and primary_conninfo), then run PostgreSQL as a
# hot standby that streams the primary's changes. Runs as the image's postgres user.
set -euo pipefail
: "${PRIMARY_HOST:?set PRIMARY_HOST}" "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGPASSWORD="$REPLICATION_PASSWORD"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  for attempt in $(seq 1 30); do
    find "$PGDATA" -mindepth 1 -delete
    if pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream --checkpoint=fast; then
      break
    fi
    [ "$attempt" = 30 ] && { echo "pg_basebackup from $PRIMARY_HOST failed 30 times" >&2; exit 1; }
    echo "pg_basebackup failed; trying again in 2 s" >&2
    sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
