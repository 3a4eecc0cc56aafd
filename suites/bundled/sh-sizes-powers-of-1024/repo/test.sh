#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/units.sh"
fail=0
[ "$(human_size 1000)" = "1000 B" ] || { echo "FAIL: human_size 1000 = $(human_size 1000)"; fail=1; }
[ "$(human_size 2048)" = "2 KiB" ] || { echo "FAIL: human_size 2048 = $(human_size 2048)"; fail=1; }
tmp=$(mktemp)
head -c 3000 /dev/zero > "$tmp"
total=$(bash "$here/dusum.sh" "$tmp" | tail -n1)
rm -f "$tmp"
[ "$total" = "total: 2 KiB" ] || { echo "FAIL: dusum printed '$total'"; fail=1; }
[ $fail -eq 0 ] && echo ok
exit $fail
