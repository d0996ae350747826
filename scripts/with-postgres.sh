#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL on 127.0.0.1, then removes it.
#   scripts/with-postgres.sh ctest --preset default
# Exports SHOPCRM_TEST_POSTGRES_URL for the command. The cluster lives in a
# temporary directory, listens only on 127.0.0.1 (and its own socket dir),
# runs with fsync off (it is thrown away), and is stopped on any exit.
set -euo pipefail

pg_bin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then pg_bin="$d"; break; fi
done
if [ -z "$pg_bin" ]; then
  echo "with-postgres: PostgreSQL server binaries not found; run scripts/install-deps.sh test" >&2
  exit 1
fi

workdir=$(mktemp -d /tmp/shopcrm-pg.XXXXXX)
run_as=()
if [ "$(id -u)" = "0" ]; then
  # initdb refuses to run as root: use the postgres system user.
  chown postgres:postgres "$workdir"
  run_as=(runuser -u postgres --)
fi

port=""
for _ in $(seq 1 50); do
  candidate=$(( 20000 + RANDOM % 20000 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "with-postgres: no free port" >&2; exit 1; }

cleanup() {
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$workdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

"${run_as[@]}" "$pg_bin/initdb" -D "$workdir/data" -A trust -U shopcrm -E UTF8 --locale=C.UTF-8 --no-sync >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log" >&2; exit 1; }
"${run_as[@]}" "$pg_bin/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
"${run_as[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U shopcrm shopcrm_test

export SHOPCRM_TEST_POSTGRES_URL="postgresql://shopcrm@127.0.0.1:$port/shopcrm_test"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
