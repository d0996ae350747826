#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format. `make format` fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find src tests bench -name '*.h' -o -name '*.cc')
clang-format --dry-run --Werror $files
echo "format: ok"
