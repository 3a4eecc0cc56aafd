#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/README.TXT" "$tmp/My Photo.JPG"
bash "$here/lcnames.sh" "$tmp"
got=$(cd "$tmp" && ls | tr '\n' '|')
if [ "$got" != "my photo.jpg|readme.txt|" ]; then
    echo "FAIL: directory now contains: $got"
    exit 1
fi
echo ok
