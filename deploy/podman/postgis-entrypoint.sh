#!/usr/bin/env bash
# First start: initdb with POSTGRES_PASSWORD, run /docker-entrypoint-initdb.d/*.sql; then serve.
set -euo pipefail
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    initdb --username=postgres --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [[ -e "$script" ]] && psql -v ON_ERROR_STOP=1 --username postgres -f "$script"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
