#!/usr/bin/env bash
# Rename the files in DIR to lower case.
set -uo pipefail

dir=${1:?usage: lcnames.sh DIR}
[ -d "$dir" ] || { echo "not a directory: $dir" >&2; exit 1; }

status=0
for name in $(ls "$dir"); do
    lower=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')
    [ "$name" = "$lower" ] && continue
    if [ -e "$dir/$lower" ]; then
        echo "skip: $lower already exists" >&2
        status=1
        continue
    fi
    mv -- "$dir/$name" "$dir/$lower" || status=1
done
exit $status
