#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
check() {  # count keep expected_left
    local tmp
    tmp=$(mktemp -d)
    for i in $(seq 1 "$1"); do touch "$tmp/backup-202401$(printf %02d "$i").tar.gz"; done
    touch "$tmp/notes.txt"
    bash "$here/rotate.sh" "$tmp" "$2" >/dev/null || { echo "FAIL: rotate exited non-zero ($1 $2)"; fail=1; }
    local left
    left=$(ls "$tmp" | grep -c '^backup-' || true)
    [ "$left" = "$3" ] || { echo "FAIL: $1 backups, keep $2: $left left, want $3"; fail=1; }
    [ -f "$tmp/notes.txt" ] || { echo "FAIL: removed a non-backup file"; fail=1; }
    if [ "$3" -gt 0 ]; then
        [ -f "$tmp/backup-202401$(printf %02d "$1").tar.gz" ] || { echo "FAIL: newest removed"; fail=1; }
    fi
    rm -rf "$tmp"
}
check 5 1 1
check 5 3 3
check 5 5 5
check 3 7 3
check 12 10 10
check 4 0 0
check 0 2 0
out=$(d=$(mktemp -d); for x in 01 02 03; do touch "$d/backup-202402$x.tar.gz"; done; bash "$here/rotate.sh" "$d" 2; rm -rf "$d")
[ "$out" = "removed backup-20240201.tar.gz" ] || { echo "FAIL: output was: $out"; fail=1; }
bash "$here/rotate.sh" /nonexistent 2 2>/dev/null && { echo "FAIL: missing dir accepted"; fail=1; }
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
