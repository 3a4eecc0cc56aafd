#!/usr/bin/env bash
set -euo pipefail

threshold=${1:?usage: diskalert.sh THRESHOLD [DF_FILE]}
source_file=${2:-}
[[ $threshold =~ ^[0-9]+$ ]] || { echo "threshold must be a number" >&2; exit 2; }

read_df() {
    if [ -n "$source_file" ]; then
        cat -- "$source_file"
    else
        df -P
    fi
}

found=0
while read -r fs blocks used avail capacity mount; do
    [ "$fs" = Filesystem ] && continue
    pct=${capacity%\%}
    if [[ $pct > $threshold || $pct == "$threshold" ]]; then
        echo "$mount $pct%"
        found=1
    fi
done < <(read_df)
exit $((found))
