#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
expect() {
    local want=$1; shift
    local got
    got=$(bash "$here/bump.sh" "$@" 2>/dev/null)
    [ "$got" = "$want" ] || { echo "FAIL: bump.sh $* -> '$got', want '$want'"; fail=1; }
}
expect 0.0.1 0.0.0
expect v2.9.10 v2.9.9
expect 10.0.100 10.0.99
expect v1.0.0 v0.9.9 major
expect 0.10.0 0.9.9 minor
expect 1.2.4 1.2.3 patch
bash "$here/bump.sh" 1.2 >/dev/null 2>&1 && { echo "FAIL: accepted 1.2"; fail=1; }
bash "$here/bump.sh" 1.2.3 huge >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: unknown part should exit 2"; fail=1; }
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
