#!/usr/bin/env bash
# Installs what is missing, from Debian's packages only. Idempotent and quiet
# when everything is present.
#   scripts/install-deps.sh build   compiler, libraries, Node.js for the console
#   scripts/install-deps.sh test    build + PostgreSQL server, Chromium, clang-format
set -euo pipefail
group="${1:-build}"

build_pkgs=(
  g++ cmake ninja-build ccache pkg-config make git curl tzdata ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev libsqlite3-dev libpq-dev libroaring-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libsodium-dev libssl-dev
  libhowardhinnant-date-dev libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev
)
test_pkgs=(postgresql chromium clang-format fonts-wqy-microhei)

want=("${build_pkgs[@]}")
[ "$group" = "test" ] && want+=("${test_pkgs[@]}")
# Node.js and npm: only when the machine has none (some images ship newer ones).
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" = "0" ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
