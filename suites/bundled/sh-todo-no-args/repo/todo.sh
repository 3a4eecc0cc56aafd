#!/usr/bin/env bash
set -euo pipefail

TODO_FILE=${TODO_FILE:-$HOME/.todo}
cmd=$1

usage() {
    cat >&2 <<'EOF'
usage: todo.sh add TEXT...
       todo.sh list
       todo.sh done N
EOF
    exit 2
}

case $cmd in
    add)
        shift
        [ $# -gt 0 ] || usage
        printf '%s\n' "$*" >> "$TODO_FILE"
        ;;
    list)
        [ -f "$TODO_FILE" ] || exit 0
        nl -ba -w1 -s'. ' "$TODO_FILE"
        ;;
    done)
        n=$2
        [[ $n =~ ^[1-9][0-9]*$ ]] || usage
        count=$(wc -l < "$TODO_FILE" 2>/dev/null || echo 0)
        (( n <= count )) || { echo "no task $n" >&2; exit 1; }
        sed -i "${n}d" "$TODO_FILE"
        ;;
    *)
        usage
        ;;
esac
