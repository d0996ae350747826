#!/usr/bin/env bash
# HTTP throughput of one `shopcrm serve` on SQLite, measured with wrk from
# the same machine over 127.0.0.1 (both share the 2 cores, so these numbers
# are a floor). Bounded: each run lasts DURATION seconds.
#   bench/http_load.sh            (needs: make build; apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10}"
bin=build/default/shopcrm
command -v wrk >/dev/null || { echo "http_load: install wrk (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/shopcrm-load.XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))
db="sqlite:$tmp/shopcrm.db"
secret=$("$bin" keys create --role analyst --name load --database-url "$db" --log-level warn | sed -n 's/^secret: *//p')
"$bin" serve --port "$port" --database-url "$db" --data-dir "$tmp" --log-level warn >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

run() {
  echo "== $1"
  shift
  wrk -t2 -c32 -d"${duration}s" --latency "$@" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
}
run "GET /healthz (no auth, no database)" "http://127.0.0.1:$port/healthz"
run "GET /api/v1/auth/me (API key looked up in SQLite)" -H "Authorization: Bearer $secret" \
  "http://127.0.0.1:$port/api/v1/auth/me"
run "GET /readyz (database ping)" "http://127.0.0.1:$port/readyz"
