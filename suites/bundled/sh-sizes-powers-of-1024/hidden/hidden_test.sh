#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/units.sh"
fail=0
expect() {
    local got
    got=$(human_size "$1")
    [ "$got" = "$2" ] || { echo "FAIL: human_size $1 = '$got', want '$2'"; fail=1; }
}
expect 0 "0 B"
expect 1023 "1023 B"
expect 1024 "1 KiB"
expect 1048575 "1023 KiB"
expect 1048576 "1 MiB"
expect 5000000 "4 MiB"
expect 1073741824 "1 GiB"
expect 1099511627776 "1 TiB"
expect 2251799813685248 "2048 TiB"
d=$(mktemp -d)
head -c 1500 /dev/zero > "$d/a"
head -c 2600 /dev/zero > "$d/b"
out=$(bash "$here/dusum.sh" "$d/a" "$d/b")
rm -rf "$d"
[ "$(echo "$out" | tail -n1)" = "total: 4 KiB" ] || { echo "FAIL: total line: $(echo "$out" | tail -n1)"; fail=1; }
echo "$out" | head -n1 | grep -q '^1 KiB ' || { echo "FAIL: first line: $(echo "$out" | head -n1)"; fail=1; }
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
