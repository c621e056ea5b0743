#!/usr/bin/env bash
# The primary's side of streaming replication for `docker compose --profile scale up` (docs/SCALING.md):
# a `replicator` role that may replicate, and a pg_hba.conf line that lets it in with a password.
# The official postgres image runs this once, on an empty data volume (/docker-entrypoint-initdb.d).
# On a volume made before, run it by hand; it may be run again:
#   docker compose exec -u postgres db bash /docker-entrypoint-initdb.d/10-replication.sh
set -euo pipefail
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v password="$REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD %L', :'password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
hba="$PGDATA/pg_hba.conf"
if ! grep -q '^host replication replicator ' "$hba"; then
  echo 'host replication replicator all scram-sha-256' >> "$hba"
  psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc 'SELECT pg_reload_conf()' >/dev/null
fi
