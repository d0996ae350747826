#!/usr/bin/env bash
# Serves a fresh shopcrm on a free 127.0.0.1 port with the built console, runs
# the Playwright tests in Debian's headless Chromium, then stops the server
# with SIGTERM and checks it shut down cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/default/shopcrm
[ -x "$bin" ] || { echo "browser-test: build first (make build)" >&2; exit 1; }
[ -f web/dist/index.html ] || { echo "browser-test: build the console first (make web)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/shopcrm-e2e.XXXXXX)
port=""
for _ in $(seq 1 50); do
  candidate=$(( 20000 + RANDOM % 20000 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "browser-test: no free port" >&2; exit 1; }

# Demo data for the users, 360, tags and imports pages: stores, products, 300 users
# with orders and events, and the import run that recorded them.
"$bin" demo --users 300 --seed 7 --database-url "sqlite:$tmp/shopcrm.db" --data-dir "$tmp" \
  >"$tmp/demo.out" 2>"$tmp/demo.err" || { cat "$tmp/demo.err" >&2; rm -rf "$tmp"; exit 1; }

"$bin" serve --host 127.0.0.1 --port "$port" --static-dir web/dist --data-dir "$tmp" \
  --database-url "sqlite:$tmp/shopcrm.db" --log-level warn >"$tmp/server.out" 2>"$tmp/server.err" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$tmp/server.err" >&2; exit 1; }

password=$(sed -n 's/^password: //p' "$tmp/admin-password.txt")
rc=0
( cd web && SHOPCRM_URL="http://127.0.0.1:$port" SHOPCRM_ADMIN_USER=admin SHOPCRM_ADMIN_PASSWORD="$password" \
    npm run --silent test:e2e ) || rc=$?

kill -TERM "$server"
if ! wait "$server"; then
  echo "browser-test: the server did not exit cleanly on SIGTERM" >&2
  cat "$tmp/server.err" >&2
  rc=1
fi
exit $rc
