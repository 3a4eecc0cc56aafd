#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/A  B.TXT" "$tmp/ Lead.md" "$tmp/tab	Name" "$tmp/already lower" "$tmp/X*Y" "$tmp/-Dash.TXT"
echo keep > "$tmp/keep me"
echo other > "$tmp/KEEP ME"
bash "$here/lcnames.sh" "$tmp" 2>/dev/null
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: exit $rc, want 1 (one collision)"; fail=1; }
for f in "a  b.txt" " lead.md" "tab	name" "already lower" "x*y" "-dash.txt" "keep me" "KEEP ME"; do
    [ -e "$tmp/$f" ] || { echo "FAIL: missing '$f'"; fail=1; }
done
[ "$(cat "$tmp/keep me")" = keep ] || { echo "FAIL: existing file overwritten"; fail=1; }
n=$(ls -A "$tmp" | wc -l)
[ "$n" -eq 8 ] || { echo "FAIL: $n entries, want 8"; fail=1; }
[ $fail -eq 0 ] && echo "hidden ok"
exit $fail
