#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
export TODO_FILE=$(mktemp -u)
trap 'rm -f "$TODO_FILE"' EXIT
fail=0
usage_case() {
    local err rc
    err=$(bash "$here/todo.sh" "$@" 2>&1 >/dev/null)
    rc=$?
    [ $rc -eq 2 ] || { echo "FAIL: todo.sh $* exited $rc, want 2"; fail=1; }
    case $err in usage:*) ;; *) echo "FAIL: todo.sh $*: no usage, got: $err"; fail=1 ;; esac
}
usage_case
usage_case done
usage_case done x
usage_case add
usage_case frobnicate
[ -z "$(bash "$here/todo.sh" list)" ] || { echo "FAIL: list without file"; fail=1; }
bash "$here/todo.sh" add a
bash "$here/todo.sh" add b c
bash "$here/todo.sh" add d
bash "$here/todo.sh" done 2
[ "$(bash "$here/todo.sh" list | tr '\n' '|')" = "1. a|2. d|" ] || { echo "FAIL: list"; fail=1; }
bash "$here/todo.sh" done 5 2>/dev/null
[ $? -eq 1 ] || { echo "FAIL: done 5 should exit 1"; fail=1; }
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
