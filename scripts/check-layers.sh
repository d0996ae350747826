#!/usr/bin/env bash
# The layer check: an include may point down the layers or within its own
# module, never up, and never into another module's internal/.
#   core < store < audit < identity < (domain modules) < api < app
# testing/ may include anything but app/; tests (*_test.cc, and their *_test.h
# fixtures) may include any layer.
set -euo pipefail
cd "$(dirname "$0")/../src"

rank() {
  case "$1" in
    core) echo 0 ;;
    store) echo 1 ;;
    audit) echo 2 ;;
    identity) echo 3 ;;
    profiles|segments|analytics|membership|marketing|channels|metrics) echo 4 ;;
    api) echo 5 ;;
    app) echo 6 ;;
    testing) echo 5 ;;
    *) echo -1 ;;
  esac
}

status=0
while IFS= read -r file; do
  module="${file%%/*}"
  is_test=0
  [[ "$file" == *_test.cc || "$file" == *_test.h ]] && is_test=1
  from=$(rank "$module")
  if [ "$from" = "-1" ]; then echo "layers: $file: module '$module' has no rank in scripts/check-layers.sh"; status=1; continue; fi
  while IFS= read -r inc; do
    target="${inc%%/*}"
    to=$(rank "$target")
    [ "$to" = "-1" ] && continue  # not ours
    if [[ "$inc" == */internal/* ]] && [ "$target" != "$module" ]; then
      echo "layers: $file includes $inc: another module's internal/"; status=1
    fi
    if [ "$is_test" = 0 ] && [ "$target" != "$module" ] && [ "$to" -gt "$from" ]; then
      echo "layers: $file includes $inc: $module may not depend on $target (up the layers)"; status=1
    fi
    if [ "$is_test" = 0 ] && [ "$target" = "testing" ] && [ "$module" != "testing" ]; then
      echo "layers: $file includes $inc: testing/ is for tests only"; status=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find . -name '*.h' -o -name '*.cc' | sed 's|^\./||' | sort)
[ $status -eq 0 ] && echo "layers: ok"
exit $status
