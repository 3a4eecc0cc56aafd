#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
df_file=$(mktemp)
trap 'rm -f "$df_file"' EXIT
{
    echo "Filesystem 1024-blocks Used Available Capacity Mounted on"
    for p in 0 5 9 10 50 79 80 81 99 100; do
        echo "/dev/x$p 1000 $((p * 10)) $((1000 - p * 10)) $p% /mnt/p$p"
    done
} > "$df_file"
expect() {  # threshold expected-mounts expected-rc
    local out rc
    out=$(bash "$here/diskalert.sh" "$1" "$df_file" | awk '{print $1}' | tr '\n' ' '; exit "${PIPESTATUS[0]}")
    rc=$?
    [ "$out" = "$2" ] || { echo "FAIL: threshold $1 -> '$out', want '$2'"; fail=1; }
    [ "$rc" = "$3" ] || { echo "FAIL: threshold $1 exit $rc, want $3"; fail=1; }
}
expect 80 "/mnt/p80 /mnt/p81 /mnt/p99 /mnt/p100 " 1
expect 9 "/mnt/p9 /mnt/p10 /mnt/p50 /mnt/p79 /mnt/p80 /mnt/p81 /mnt/p99 /mnt/p100 " 1
expect 100 "/mnt/p100 " 1
expect 0 "/mnt/p0 /mnt/p5 /mnt/p9 /mnt/p10 /mnt/p50 /mnt/p79 /mnt/p80 /mnt/p81 /mnt/p99 /mnt/p100 " 1
expect 101 "" 0
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
