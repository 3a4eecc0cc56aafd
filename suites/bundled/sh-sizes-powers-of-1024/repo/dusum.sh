#!/usr/bin/env bash
# Print file sizes and the total in KiB.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/units.sh"

[ $# -gt 0 ] || { echo "usage: dusum.sh FILE..." >&2; exit 2; }
total=0
for f in "$@"; do
    bytes=$(wc -c < "$f")
    bytes=$(( bytes + 0 ))
    total=$(( total + bytes ))
    printf '%-10s %s\n' "$(human_size "$bytes")" "$f"
done
echo "total: $(( total / 1000 )) KiB"
