#!/usr/bin/env bash
# ouro llm bench against llama.cpp's llama-bench on the same GGUF files, same threads, in one run,
# alternating the two: the real Qwen2.5-Coder 1.5B and 0.5B Q4_K_M (when fetched), SmolLM2-135M
# Q4_1 and synth 1B-shaped Q4_0 and Q8_0 models.
# Usage: scripts/bench-vs-llamacpp.sh LLAMA_BIN_DIR [OURO_BIN] [THREADS] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
llama="$1/llama-bench"
ouro="${2:-target/release/ouro}"
threads="${3:-2}"
reps="${4:-3}"
models="${OURO_MODELS:-models}"
for ty in q4_0 q8_0; do
  f="$models/synth-llama-1b-$ty.gguf"
  [ -s "$f" ] || "$ouro" llm synth --arch llama --shape 1b --type "$ty" --seed 7 -o "$f" >/dev/null
done
for m in "$models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" "$models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" \
  "$models/SmolLM2-135M-Instruct.Q4_1.gguf" "$models/synth-llama-1b-q4_0.gguf" "$models/synth-llama-1b-q8_0.gguf"; do
  [ -s "$m" ] || { echo "## $(basename "$m"): not fetched, skipped"; continue; }
  echo "## $(basename "$m")"
  for round in 1 2; do
    "$llama" -m "$m" -t "$threads" -p 512 -n 128 -r "$reps" -o md 2>/dev/null | grep -E "pp512|tg128" | sed "s/^/llama.cpp round $round: /"
    "$ouro" llm bench -m "$m" -t "$threads" -p 512 -n 128 -r "$reps" | grep -E "pp512|tg128" | sed "s/^/ouro      round $round: /"
  done
done
