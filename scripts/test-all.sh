#!/usr/bin/env bash
# Everything `make test` runs, in order, with one closing summary line.
# Stops at the first failing stage.
set -uo pipefail
cd "$(dirname "$0")/.."
export CTEST_OUTPUT_ON_FAILURE=1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

stage() {
  local name="$1"; shift
  echo "==> $name"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # Count what the runners report: ctest "N tests failed out of M", node "# pass N / # fail N".
  local total fails
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  fails=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
  if [ -n "$total" ]; then passed=$((passed + total - ${fails:-0})); failed=$((failed + ${fails:-0})); fi
  local np nf
  np=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
  nf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
  if [ -n "$np" ]; then passed=$((passed + np)); failed=$((failed + ${nf:-0})); fi
  echo "==> $name: exit $rc in $((SECONDS - start))s"
  if [ "$rc" -ne 0 ]; then
    [ "$failed" -eq 0 ] && failed=1
    echo "tests: $passed passed, $failed failed"
    exit "$rc"
  fi
}

stage "format" scripts/check-format.sh
stage "layers" scripts/check-layers.sh
stage "build" make --no-print-directory build
stage "console build and type check" bash -c 'make --no-print-directory web && cd web && npm run --silent typecheck'
stage "C++ tests (SQLite + PostgreSQL)" scripts/with-postgres.sh ctest --preset default
stage "C++ tests under ASan+UBSan" make --no-print-directory test-asan
stage "browser tests (Chromium)" scripts/browser-test.sh
echo "tests: $passed passed, $failed failed"
