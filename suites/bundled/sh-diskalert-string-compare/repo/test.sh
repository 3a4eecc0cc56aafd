#!/usr/bin/env bash
set -u
here=$(cd "$(dirname "$0")" && pwd)
df_file=$(mktemp)
trap 'rm -f "$df_file"' EXIT
cat > "$df_file" <<'DF'
Filesystem     1024-blocks      Used Available Capacity Mounted on
/dev/sda1         51474912  51474912         0     100% /
/dev/sda2           999320     89000    841508       9% /boot
/dev/sdb1        102687672  61612603  35817901      64% /data
DF
out=$(bash "$here/diskalert.sh" 80 "$df_file")
if [ "$out" != "/ 100%" ]; then
    echo "FAIL: got:"; echo "$out"; echo "want: / 100%"
    exit 1
fi
echo ok
