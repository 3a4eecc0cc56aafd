#!/usr/bin/env bash
# A coder command for ouro's development loop that runs aider (a peer) instead of ouro's
# own coder, against an OpenAI-compatible server (llama-server, see llama-server.sh).
#
# ouro's loop runs it with `sh -c` in a git worktree (cwd) and these variables:
#   OURO_WORKTREE, OURO_TASK_TITLE, OURO_TASK_DESCRIPTION,
#   OURO_TASK_INPUTS  newline-separated paths relative to the worktree (may be empty)
#   OURO_TASK_TESTS   newline-separated shell commands: the visible check
#   OURO_ATTEMPT, OURO_FEEDBACK (previous attempt's failing test output, attempts 2+)
# Exit 0 = done (the loop then runs the tests itself); otherwise aider's exit status.
#
# Knobs: OURO_PEER_BASE_URL (http://127.0.0.1:8080/v1), OURO_PEER_MODEL (name sent to the
# server; llama-server serves whatever it loaded: qwen2.5-coder-1.5b-instruct),
# OURO_PEER_CTX (8192, the server's -c), AIDER (aider binary; /work/peers/aider-venv/bin/aider),
# OURO_PEER_TIMEOUT (seconds per API call, 600), OURO_PEER_FEEDBACK_MAX (chars of
# feedback kept, 4000), OURO_PEER_KEEP_LOGS=DIR (copy aider's history files there).
#
# aider writes nothing into the worktree besides its edits: its history files go to a
# temp dir, it neither commits nor touches .gitignore, and its repo-map cache
# (.aider.tags.cache.v*, always put at the repo root) is removed on exit unless it was
# there before.
set -u

AIDER="${AIDER:-/work/peers/aider-venv/bin/aider}"
BASE_URL="${OURO_PEER_BASE_URL:-http://127.0.0.1:8080/v1}"
MODEL_NAME="${OURO_PEER_MODEL:-qwen2.5-coder-1.5b-instruct}"
CTX="${OURO_PEER_CTX:-8192}"
WT="${OURO_WORKTREE:-$PWD}"

[ -x "$AIDER" ] || { echo "aider-coder: error: aider not found at $AIDER (see scripts/peers/README.md)" >&2; exit 127; }
cd "$WT" || { echo "aider-coder: error: cannot cd to $WT" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/aider-coder.XXXXXX")"
pre_caches="$(ls -d .aider.tags.cache.v* 2>/dev/null || true)"
cleanup() {
    if [ -n "${OURO_PEER_KEEP_LOGS:-}" ]; then
        mkdir -p "$OURO_PEER_KEEP_LOGS" && cp -r "$TMP"/. "$OURO_PEER_KEEP_LOGS"/ 2>/dev/null || true
    fi
    for d in .aider.tags.cache.v*; do
        [ -e "$d" ] || continue
        case $'\n'"$pre_caches"$'\n' in *$'\n'"$d"$'\n'*) ;; *) rm -rf -- "$d" ;; esac
    done
    rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Model metadata (context size) and settings, so aider knows the window and warns about nothing.
cat >"$TMP/model-metadata.json" <<JSON
{
  "openai/$MODEL_NAME": {
    "max_tokens": $CTX,
    "max_input_tokens": $CTX,
    "max_output_tokens": $CTX,
    "input_cost_per_token": 0,
    "output_cost_per_token": 0,
    "litellm_provider": "openai",
    "mode": "chat"
  }
}
JSON
cat >"$TMP/model-settings.yml" <<YAML
- name: openai/$MODEL_NAME
  edit_format: whole
  use_repo_map: true
YAML

# The visible check: one command, or several joined with && (each in a subshell so that
# a line's own ; or || keeps its meaning).
tests=()
while IFS= read -r line; do
    [ -n "${line//[[:space:]]/}" ] || continue
    tests+=("$line")
done <<<"${OURO_TASK_TESTS:-}"
test_cmd=""
if [ "${#tests[@]}" -eq 1 ]; then
    test_cmd="${tests[0]}"
elif [ "${#tests[@]}" -gt 1 ]; then
    for t in "${tests[@]}"; do test_cmd="${test_cmd:+$test_cmd && }( $t )"; done
fi

msg="${OURO_TASK_TITLE:-}"
if [ -n "${OURO_TASK_DESCRIPTION:-}" ]; then msg="$msg"$'\n\n'"$OURO_TASK_DESCRIPTION"; fi
if [ -n "${OURO_FEEDBACK:-}" ]; then
    fb="$OURO_FEEDBACK"
    max="${OURO_PEER_FEEDBACK_MAX:-4000}"
    if [ "${#fb}" -gt "$max" ]; then fb="...${fb: -$max}"; fi
    msg="$msg"$'\n\nThe previous attempt failed:\n'"$fb"
fi

files=()
while IFS= read -r f; do
    [ -n "${f//[[:space:]]/}" ] || continue
    files+=("$f")
done <<<"${OURO_TASK_INPUTS:-}"

args=(
    --model "openai/$MODEL_NAME"
    --openai-api-key dummy
    --openai-api-base "$BASE_URL"
    --model-settings-file "$TMP/model-settings.yml"
    --model-metadata-file "$TMP/model-metadata.json"
    --edit-format whole
    --map-tokens 1024
    --yes-always
    --no-auto-commits --no-dirty-commits --no-gitignore
    --no-show-model-warnings --no-check-update --no-show-release-notes --no-analytics
    --no-pretty --no-stream --no-fancy-input --no-notifications
    --no-suggest-shell-commands --no-detect-urls
    --no-restore-chat-history
    --input-history-file "$TMP/input.history"
    --chat-history-file "$TMP/chat.history.md"
    --llm-history-file "$TMP/llm.history"
    --timeout "${OURO_PEER_TIMEOUT:-600}"
)
if [ -n "$test_cmd" ]; then args+=(--auto-test --test-cmd "$test_cmd"); fi
args+=(--message "$msg")

echo "aider-coder: attempt ${OURO_ATTEMPT:-1}: aider $("$AIDER" --version 2>/dev/null | awk '{print $2}') on $BASE_URL (openai/$MODEL_NAME), ${#files[@]} input file(s), test: ${test_cmd:-none}" >&2
# No terminal: aider reads nothing from stdin (--yes-always answers every question).
"$AIDER" "${args[@]}" -- "${files[@]}" </dev/null
rc=$?
echo "aider-coder: aider exited $rc" >&2
exit "$rc"
