#!/usr/bin/env bash
# Make sure what the test suite talks to is installed and running:
# PostgreSQL with PostGIS (Debian's postgresql-<ver>-postgis-3), Redis, GDAL's ogrinfo.
# Installs missing Debian packages when running as root; starts stopped servers.
# Idempotent: on a machine that already has everything it only checks.
set -euo pipefail

PG_HOST="${CARECIRCLE_PG_HOST:-127.0.0.1}"
PG_PORT="${CARECIRCLE_PG_PORT:-5432}"
PG_USER="${CARECIRCLE_PG_USER:-postgres}"
APT_UPDATED=0

log() { printf '[ensure] %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    log "missing packages: $* — not root, cannot install; install them and re-run"
    exit 1
  fi
  if [ "$APT_UPDATED" = "0" ]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_version() {
  if [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    ls /etc/postgresql | sort -V | tail -n 1
  elif command -v pg_config >/dev/null 2>&1; then
    pg_config --version | sed -E 's/[^0-9]*([0-9]+).*/\1/'
  fi
}

# 1. PostgreSQL server
if [ -z "$(pg_version)" ]; then
  apt_install postgresql
fi
PG_VER="$(pg_version)"
log "PostgreSQL $PG_VER"

# 2. PostGIS for that server
# (the control file and the library come from two packages; check both)
if [ ! -f "/usr/share/postgresql/$PG_VER/extension/postgis.control" ] ||
   ! ls "/usr/lib/postgresql/$PG_VER/lib/"postgis-3*.so >/dev/null 2>&1; then
  apt_install "postgresql-$PG_VER-postgis-3" "postgresql-$PG_VER-postgis-3-scripts"
fi

# 3. Server running and accepting our user without a password on loopback
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  log "starting PostgreSQL $PG_VER"
  pg_ctlcluster --skip-systemctl-redirect "$PG_VER" main start || pg_ctlcluster "$PG_VER" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
fi
if ! psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  HBA="/etc/postgresql/$PG_VER/main/pg_hba.conf"
  if [ "$(id -u)" = "0" ] && [ -f "$HBA" ]; then
    log "allowing trust auth on loopback for the test cluster ($HBA)"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$HBA"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VER" main reload || pg_ctlcluster "$PG_VER" main reload
    sleep 1
  fi
fi
psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "SELECT 1" >/dev/null

# 4. A scratch database with PostGIS proves the extension installs
SCRATCH="cc_ensure_$$"
psql -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "CREATE DATABASE $SCRATCH" >/dev/null
trap 'psql -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "DROP DATABASE IF EXISTS $SCRATCH" >/dev/null 2>&1 || true' EXIT
POSTGIS="$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$SCRATCH" -tAc "CREATE EXTENSION postgis; SELECT postgis_lib_version()" | tail -n 1)"
log "PostGIS $POSTGIS"

# 5. Redis (the gateway's shared rate limits)
if ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/carecircle.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
log "Redis $(redis-cli -h 127.0.0.1 -p 6379 ping)"

# 6. GDAL's command-line client (the OGC API test reads the registry with ogrinfo)
if ! command -v ogrinfo >/dev/null 2>&1; then
  apt_install gdal-bin
fi
log "$(ogrinfo --version)"

# 7. wrk and valgrind, only for the benchmarks (`make bench`, or `scripts/ensure_services.sh --bench`)
if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null 2>&1; then
  apt_install wrk
fi
if [ "${1:-}" = "--bench" ] && ! command -v valgrind >/dev/null 2>&1; then
  apt_install valgrind
fi

# 8. Headless Chromium and its driver (the /map and /docs browser tests, tests/gateway/test_map_browser.py),
#    and a Chinese font so the page's screenshots show characters, not boxes
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt_install chromium chromium-driver
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt_install fonts-wqy-zenhei
fi
log "$(chromium --version 2>/dev/null | head -n 1)"
