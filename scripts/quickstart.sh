#!/usr/bin/env bash
# ouro's quick start: fetch the default model, build ouro, and run its main job on it: the
# development loop takes a queued task in a small demo repository, the coding agent works on
# it in a shadow worktree with the default model (SmolLM2-135M on ouro's own engine, tool calls
# constrained by grammar), the task's test decides, and only verified work is promoted.
# A 135M model rarely fixes the bug; what this shows is the whole job running end to end.
# The demo repository is $OURO_DEMO (default: a fresh folder under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 (with pip) is needed to fetch the default model" >&2; exit 1; }
command -v git >/dev/null || { echo "error: git is needed for the development loop" >&2; exit 1; }
./scripts/fetch-models.sh
cargo build --release -p ouro-cli
target="${CARGO_TARGET_DIR:-target}"; case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
ouro="$target/release/ouro"
model="$(pwd)/models/SmolLM2-135M-Instruct.Q4_1.gguf"

demo="${OURO_DEMO:-$(mktemp -d /tmp/ouro-quickstart.XXXXXX)}"
mkdir -p "$demo" && cd "$demo"
if [ ! -d .git ]; then
  git init -q -b main
  printf 'def add(a, b):\n    return a - b\n' >calc.py
  printf '# calc\nA tiny calculator: `add(a, b)` returns the sum of a and b.\n' >README.md
  cat >ouro.toml <<TOML
[loop]
max_attempts = 2

[loop.coder]
kind = "agent"
provider = "local"
model = "$model"
max_iterations = 6

[permissions]
mode = "workspace-write"
TOML
  printf '.ouro/\n' >.gitignore
  git add -A && git -c user.name=ouro -c user.email=ouro@localhost commit -qm "A calculator with a bug"
  "$ouro" tasks add "Fix add in calc.py" \
    --description "add(a, b) in calc.py subtracts; it must return a + b." \
    --test "python3 -c 'import calc; assert calc.add(2, 3) == 5'"
fi
echo "== ouro loop --once in $demo"
"$ouro" loop --once || true
echo "== ouro loop status"
"$ouro" loop status
