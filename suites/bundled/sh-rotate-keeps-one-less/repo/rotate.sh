#!/usr/bin/env bash
# Keep the KEEP newest backup-YYYYMMDD.tar.gz files in DIR.
set -euo pipefail

usage() {
    echo "usage: $0 DIR KEEP" >&2
    exit 2
}

[ $# -eq 2 ] || usage
dir=$1
keep=$2
[[ $keep =~ ^[0-9]+$ ]] || usage
[ -d "$dir" ] || { echo "no such directory: $dir" >&2; exit 1; }

shopt -s nullglob
files=("$dir"/backup-*.tar.gz)
[ ${#files[@]} -gt 0 ] || exit 0

printf '%s\n' "${files[@]}" | sort -r | tail -n +"$keep" | while IFS= read -r f; do
    rm -f -- "$f"
    echo "removed $(basename "$f")"
done
