#!/usr/bin/env bash
# ouro's quick start: fetch the default coding model, build ouro, and run its main job on it:
# in a small demo repository with a bug and no configuration, the development loop takes the
# queued task, ouro's repair coder (Qwen2.5-Coder-1.5B on ouro's own engine, edits decoded
# under a grammar so they always apply) fixes it in a shadow worktree, the task's test
# decides, and only verified work is promoted to main. Prints the time it took; exits non-zero
# when the bug was not fixed. The demo repository is $OURO_DEMO (default: a fresh folder
# under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 (with pip) is needed to fetch the default model" >&2; exit 1; }
command -v git >/dev/null || { echo "error: git is needed for the development loop" >&2; exit 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(ms)
./scripts/fetch-models.sh qwen2.5-coder-1.5b
cargo build --release -p ouro-cli
target="${CARGO_TARGET_DIR:-target}"; case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
ouro="$target/release/ouro"

demo="${OURO_DEMO:-$(mktemp -d /tmp/ouro-quickstart.XXXXXX)}"
mkdir -p "$demo" && cd "$demo"
if [ ! -d .git ]; then
  git init -q -b main
  cat >calc.py <<'PY'
"""A tiny calculator."""


def add(a, b):
    """The sum of a and b."""
    return a - b


def mul(a, b):
    """The product of a and b."""
    return a * b
PY
  cat >test_calc.py <<'PY'
import calc

assert calc.mul(2, 3) == 6
assert calc.add(2, 3) == 5, f"add(2, 3) returned {calc.add(2, 3)}"
print("ok")
PY
  printf '# calc\nA tiny calculator: `add(a, b)` returns the sum of a and b.\n' >README.md
  printf '.ouro/\n__pycache__/\n' >.gitignore
  git add -A && git -c user.name=ouro -c user.email=ouro@localhost commit -qm "A calculator with a bug"
  # No ouro.toml: the loop's defaults (the repair coder on the default coding model).
  "$ouro" tasks add "add() returns the wrong result" \
    --description "calc.add(2, 3) should be 5." \
    --test "python3 test_calc.py"
fi
echo "== ouro loop --once in $demo"
loop_start=$(ms)
"$ouro" loop --once || true
loop_end=$(ms)
echo "== ouro loop status"
"$ouro" loop status
echo "== main branch after the loop"
git log --oneline -3
git --no-pager show --stat --format='%s' HEAD | head -5
python3 test_calc.py >/dev/null 2>&1 && fixed="fixed and promoted" || fixed="NOT fixed"
secs() { printf '%d.%d' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }
echo "== $fixed: the loop took $(secs $((loop_end - loop_start))) s (the whole quick start $(secs $((loop_end - start))) s)"
[ "$fixed" = "fixed and promoted" ]
