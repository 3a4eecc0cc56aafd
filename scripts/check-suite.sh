#!/usr/bin/env bash
# Check an `ouro eval` suite (format: docs/eval-suite.md).
#
#   scripts/check-suite.sh [SUITE_DIR] [TASK_ID...]
#
# For every task: build the repository in a temp dir (copy repo/, or fetch the
# project's wheel into ${XDG_CACHE_HOME:-~/.cache}/ouro/suite-src, apply bug.patch
# and add visible/), commit it, then verify that
#   1. `check` (when given) FAILS on the buggy tree,
#   2. `hidden` FAILS on a fresh checkout of the buggy tree with hidden/ copied over it,
#   3. fix.patch applies with `git apply` and touches exactly `fix_files`,
#   4. `check` PASSES on the fixed tree,
#   5. `hidden` PASSES on a fresh checkout of the fixed tree with hidden/ copied over it.
# Prints one line per task and a total; exits non-zero when any task is broken.
#
# Environment: JOBS (parallel tasks, default 4), KEEP=1 keeps the temp dirs,
# CARGO_TARGET_DIR (default /tmp/ouro-suite-target): root of the Rust build dirs,
# one per task tree beneath it (kept between runs, so rebuilds are incremental).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"

TARGET_ROOT=${CARGO_TARGET_DIR:-/tmp/ouro-suite-target}
export TARGET_ROOT
export PYTHONDONTWRITEBYTECODE=1
export CARGO_TERM_COLOR=never
export NO_COLOR=1
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ouro/suite-src

# Print task.toml as shell assignments (T_title, T_check, ...).
read_toml() {
    python3 - "$1" <<'PY'
import shlex, sys
path = sys.argv[1]
try:
    import tomllib
except ImportError:  # Python < 3.11
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None
if tomllib is None:
    sys.exit("check-suite: needs Python 3.11+ (tomllib) or the tomli package")
with open(path, "rb") as fh:
    data = tomllib.load(fh)
errors = []
for key in ("title", "description", "hidden", "fix_files", "language", "kind"):
    if key not in data:
        errors.append(f"missing key {key}")
if data.get("language") not in ("python", "javascript", "rust", "shell"):
    errors.append(f"bad language {data.get('language')!r}")
if data.get("kind") not in ("off-by-one", "wrong-operator", "edge-case", "wrong-default",
                            "exception", "two-file", "build", "logic"):
    errors.append(f"bad kind {data.get('kind')!r}")
tier = data.get("tier", "small")
if tier not in ("small", "project"):
    errors.append(f"bad tier {tier!r}")
src = data.get("source", {})
out = {
    "title": data.get("title", ""),
    "check": data.get("check", ""),
    "hidden": data.get("hidden", ""),
    "tier": tier,
    "timeout": str(data.get("timeout_s", 120)),
    "fix_files": "\n".join(sorted(data.get("fix_files", []))),
    "pypi": src.get("pypi", ""),
    "crates": src.get("crates", ""),
    "bug": src.get("bug", ""),
    "errors": "; ".join(errors),
}
if tier == "project" and not (out["pypi"] or out["crates"]):
    out["errors"] = (out["errors"] + "; " if out["errors"] else "") + "project task without [source]"
for k, v in out.items():
    print(f"T_{k}={shlex.quote(v)}")
PY
}

git_commit() {  # dir message
    git -C "$1" add -A &&
        git -C "$1" -c user.name=ouro-suite -c user.email=suite@localhost \
            -c commit.gpgsign=false commit -q --allow-empty -m "$2"
}

# Fetch a project's source into $CACHE once; prints the unpacked tree's path.
fetch_source() {  # kind spec
    local kind=$1 spec=$2 dest tmp
    dest="$CACHE/$kind/$spec"
    if [ -d "$dest/tree" ]; then
        echo "$dest/tree"
        return 0
    fi
    mkdir -p "$CACHE/$kind"
    tmp=$(mktemp -d "$CACHE/$kind/.tmp.XXXXXX") || return 1
    if [ "$kind" = pypi ]; then
        timeout 300 python3 -m pip download -q --no-deps --only-binary=:all: "$spec" \
            -d "$tmp/dl" >&2 || { rm -rf "$tmp"; return 1; }
        local whl
        whl=$(ls "$tmp"/dl/*.whl 2>/dev/null | head -n1)
        [ -n "$whl" ] || { rm -rf "$tmp"; return 1; }
        mkdir -p "$tmp/tree"
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
            "$whl" "$tmp/tree" || { rm -rf "$tmp"; return 1; }
        rm -rf "$tmp"/tree/*.dist-info
    else
        local name=${spec%@*} ver=${spec#*@}
        mkdir -p "$tmp/tree"
        timeout 300 curl -fsSL "https://crates.io/api/v1/crates/$name/$ver/download" \
            -o "$tmp/crate.tar.gz" || { rm -rf "$tmp"; return 1; }
        tar -xzf "$tmp/crate.tar.gz" -C "$tmp/tree" --strip-components=1 || { rm -rf "$tmp"; return 1; }
    fi
    mkdir -p "$dest"
    if ! mv -T "$tmp/tree" "$dest/tree" 2>/dev/null; then
        [ -d "$dest/tree" ] || { rm -rf "$tmp"; return 1; }
    fi
    rm -rf "$tmp"
    echo "$dest/tree"
}

# Run a task command; returns its exit status. Output goes to the log.
run_cmd() {  # dir command timeout log label
    local dir=$1 cmd=$2 to=$3 log=$4 label=$5 rc
    {
        echo "=== $label: $cmd (in $dir)"
    } >>"$log"
    # Each tree gets its own cargo target dir under the shared root, so a build
    # of one tree (e.g. the fixed one) is never reused for another.
    (cd "$dir" && CARGO_TARGET_DIR="$TARGET_ROOT/$TASK_ID/$(basename "$dir")" \
        timeout "$to" bash -c "$cmd") >>"$log" 2>&1 </dev/null
    rc=$?
    echo "=== $label: exit $rc" >>"$log"
    return $rc
}

# Fresh checkout of HEAD with hidden/ copied over it.
hidden_tree() {  # repo hidden_src dest
    mkdir -p "$3" &&
        git -C "$1" archive HEAD | tar -x -m -C "$3" &&
        cp -R "$2"/. "$3"/
}

check_one() {  # task_dir -> prints "RESULT<TAB>id<TAB>message"
    local tdir id work log
    tdir=$(cd "$1" && pwd)
    id=$(basename "$tdir")
    TASK_ID=$id
    work=$(mktemp -d "${TMPDIR:-/tmp}/ouro-suite.$id.XXXXXX")
    log="$work/log.txt"
    : >"$log"
    local result
    result=$(check_task "$tdir" "$work" "$log")
    local status=$?
    if [ $status -eq 0 ]; then
        printf 'ok\t%s\t%s\n' "$id" "$result"
        [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
    else
        printf 'BROKEN\t%s\t%s (log: %s)\n' "$id" "$result" "$log"
    fi
}

check_task() {  # task_dir work log ; echo message, return 0 on ok
    local tdir=$1 work=$2 log=$3
    [ -f "$tdir/task.toml" ] || { echo "no task.toml"; return 1; }
    local T_title T_check T_hidden T_tier T_timeout T_fix_files T_pypi T_crates T_bug T_errors
    eval "$(read_toml "$tdir/task.toml")" || { echo "task.toml unreadable"; return 1; }
    [ -z "$T_errors" ] || { echo "task.toml: $T_errors"; return 1; }
    [ -d "$tdir/hidden" ] || { echo "no hidden/"; return 1; }
    [ -f "$tdir/fix.patch" ] || { echo "no fix.patch"; return 1; }
    if find "$tdir" -name .git -print -quit | grep -q .; then
        echo "git metadata inside the task"; return 1
    fi

    local repo="$work/repo"
    mkdir -p "$repo"
    if [ "$T_tier" = project ]; then
        local kind spec src
        if [ -n "$T_pypi" ]; then kind=pypi spec=$T_pypi; else kind=crates spec=$T_crates; fi
        src=$(fetch_source "$kind" "$spec" 2>>"$log") || { echo "fetch $spec failed"; return 1; }
        cp -R "$src"/. "$repo"/
        if [ -n "$T_bug" ]; then
            (cd "$repo" && git apply "$tdir/$T_bug") >>"$log" 2>&1 ||
                { echo "bug.patch does not apply"; return 1; }
        fi
        if [ -d "$tdir/repo" ]; then cp -R "$tdir/repo"/. "$repo"/; fi
        if [ -d "$tdir/visible" ]; then cp -R "$tdir/visible"/. "$repo"/; fi
    else
        [ -d "$tdir/repo" ] || { echo "no repo/"; return 1; }
        cp -R "$tdir/repo"/. "$repo"/
    fi
    (cd "$repo" && git init -q) && git_commit "$repo" "initial" >>"$log" 2>&1 ||
        { echo "git init/commit failed"; return 1; }

    local to=$T_timeout
    if [ -n "$T_check" ]; then
        if run_cmd "$repo" "$T_check" "$to" "$log" "check on buggy tree"; then
            echo "check passes on the buggy tree"; return 1
        fi
    fi
    hidden_tree "$repo" "$tdir/hidden" "$work/hidden-buggy" ||
        { echo "cannot build hidden tree"; return 1; }
    if run_cmd "$work/hidden-buggy" "$T_hidden" "$to" "$log" "hidden on buggy tree"; then
        echo "hidden passes on the buggy tree"; return 1
    fi

    git -C "$repo" reset -q --hard && git -C "$repo" clean -qfdx
    (cd "$repo" && git apply "$tdir/fix.patch") >>"$log" 2>&1 ||
        { echo "fix.patch does not apply"; return 1; }
    local touched
    touched=$(git -C "$repo" add -A && git -C "$repo" diff --cached --name-only | sort)
    if [ "$touched" != "$T_fix_files" ]; then
        echo "fix.patch touches [$(echo $touched)] but fix_files is [$(echo $T_fix_files)]"; return 1
    fi
    git_commit "$repo" "fix" >>"$log" 2>&1 || { echo "commit of fix failed"; return 1; }

    if [ -n "$T_check" ]; then
        if ! run_cmd "$repo" "$T_check" "$to" "$log" "check on fixed tree"; then
            echo "check fails on the fixed tree"; return 1
        fi
    fi
    hidden_tree "$repo" "$tdir/hidden" "$work/hidden-fixed" ||
        { echo "cannot build hidden tree"; return 1; }
    if ! run_cmd "$work/hidden-fixed" "$T_hidden" "$to" "$log" "hidden on fixed tree"; then
        echo "hidden fails on the fixed tree"; return 1
    fi
    echo "$T_tier"
    return 0
}

if [ "${1:-}" = "--one" ]; then
    check_one "$2"
    exit 0
fi

suite=${1:-$here/../suites/bundled}
shift || true
[ -d "$suite" ] || { echo "no such suite: $suite" >&2; exit 2; }
suite=$(cd "$suite" && pwd)

tasks=()
if [ $# -gt 0 ]; then
    for id in "$@"; do tasks+=("$suite/$id"); done
else
    for d in "$suite"/*/; do
        [ -f "$d/task.toml" ] && tasks+=("${d%/}")
    done
fi
[ ${#tasks[@]} -gt 0 ] || { echo "no tasks in $suite" >&2; exit 2; }

mkdir -p "$TARGET_ROOT"
results=$(printf '%s\0' "${tasks[@]}" |
    xargs -0 -n1 -P "${JOBS:-4}" bash "$self" --one)

ok=0 broken=0
for t in "${tasks[@]}"; do
    id=$(basename "$t")
    line=$(printf '%s\n' "$results" | awk -F'\t' -v id="$id" '$2 == id { print; exit }')
    if [ -z "$line" ]; then
        printf '%-36s BROKEN  checker produced no result\n' "$id"
        broken=$((broken + 1))
        continue
    fi
    status=$(printf '%s' "$line" | cut -f1)
    msg=$(printf '%s' "$line" | cut -f3-)
    if [ "$status" = ok ]; then
        printf '%-36s ok      (%s)\n' "$id" "$msg"
        ok=$((ok + 1))
    else
        printf '%-36s BROKEN  %s\n' "$id" "$msg"
        broken=$((broken + 1))
    fi
done
echo "total: ${#tasks[@]} tasks, $ok ok, $broken broken"
[ "$broken" -eq 0 ]
