#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in 20240101 20240102 20240103 20240104 20240105; do
    touch "$tmp/backup-$d.tar.gz"
done
bash "$here/rotate.sh" "$tmp" 3 >/dev/null
got=$(cd "$tmp" && ls | tr '\n' ' ')
want="backup-20240103.tar.gz backup-20240104.tar.gz backup-20240105.tar.gz "
if [ "$got" != "$want" ]; then
    echo "FAIL: after rotate.sh DIR 3 left: $got"
    echo "      expected:              $want"
    exit 1
fi
echo ok
