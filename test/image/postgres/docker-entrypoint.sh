#!/bin/bash
# The official postgres image's start-up, reduced to what docker-compose.yml
# uses: on an empty PGDATA, initdb (POSTGRES_INITDB_ARGS) with POSTGRES_USER
# as the superuser and POSTGRES_PASSWORD as its password, password
# (scram-sha-256) access from the network, and the database POSTGRES_DB
# (default: the user's name). Runs the server as `postgres`, as PID 1.
set -euo pipefail

if [[ ${1:-} != postgres ]]; then exec "$@"; fi

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # POSTGRES_INITDB_ARGS is split on spaces, as the official image does.
  # shellcheck disable=SC2086
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [[ $db != postgres ]]; then
    # Single-user mode: no server listens while the database is created (a
    # healthcheck cannot see a half-initialised server as ready).
    printf 'CREATE DATABASE "%s";\n' "${db//\"/\"\"}" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "PostgreSQL initialised: database \"$db\", user \"$user\"" >&2
fi

exec "$@"
