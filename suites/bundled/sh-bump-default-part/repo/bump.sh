#!/usr/bin/env bash
# usage: bump.sh VERSION [major|minor|patch]
#
# Print VERSION with one part incremented (default: patch). A leading "v"
# is kept. Lower parts are reset to 0.
set -euo pipefail

usage() {
    sed -n '2,5s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
version=$1
part=${2:-minor}

prefix=""
if [[ $version == v* ]]; then
    prefix=v
    version=${version#v}
fi
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { echo "bad version: $1" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}

case $part in
    major) major=$((major + 1)); minor=0; patch=0 ;;
    minor) minor=$((minor + 1)); patch=0 ;;
    patch) patch=$((patch + 1)) ;;
    *) usage ;;
esac
echo "$prefix$major.$minor.$patch"
