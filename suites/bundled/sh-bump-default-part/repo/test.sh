#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
expect() {
    local want=$1; shift
    local got
    got=$(bash "$here/bump.sh" "$@" 2>&1)
    [ "$got" = "$want" ] || { echo "FAIL: bump.sh $* -> '$got', want '$want'"; fail=1; }
}
expect 2.0.0 1.4.2 major
expect 1.5.0 1.4.2 minor
expect 1.4.3 1.4.2
[ $fail -eq 0 ] && echo ok
exit $fail
