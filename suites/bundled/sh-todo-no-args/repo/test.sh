#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
export TODO_FILE=$(mktemp -u)
trap 'rm -f "$TODO_FILE"' EXIT
fail=0
bash "$here/todo.sh" add buy milk
bash "$here/todo.sh" add call bob
bash "$here/todo.sh" done 1
[ "$(bash "$here/todo.sh" list)" = "1. call bob" ] || { echo "FAIL: list after done"; fail=1; }
err=$(bash "$here/todo.sh" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] || { echo "FAIL: no arguments exited $rc, want 2"; fail=1; }
case $err in usage:*) ;; *) echo "FAIL: no usage text, got: $err"; fail=1 ;; esac
[ $fail -eq 0 ] && echo ok
exit $fail
