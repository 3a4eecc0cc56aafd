#!/usr/bin/env bash
# One device call that measures ouro's CUDA engine against llama.cpp's in a single run:
# starts the llama.cpp CUDA build in the background (build-llama-cuda.sh), runs gpu-check.sh
# (GPU-vs-CPU comparisons with the CPU noise floor, ouro's benchmarks) meanwhile, then
# llama-bench on the same 7B files once the build is done. $OURO_OLD (optional) is a second
# ouro binary benchmarked on the same files, for before/after figures.
# Usage: OUT=... scripts/device/gpu-round.sh   (results under $OUT)
set -u
OUT=${OUT:-/tmp/ouro-gpu-round}
mkdir -p "$OUT"
bash scripts/device/build-llama-cuda.sh
OUT="$OUT/check" WORK=/tmp/ouro-gpu-models bash scripts/device/gpu-check.sh >/dev/null 2>&1
if [ -n "${OURO_OLD:-}" ]; then
  chmod +x "$OURO_OLD"
  for t in ${BENCH_TYPES:-q4_0 q8_0}; do
    "$OURO_OLD" llm bench --device cuda:0 -m "/tmp/ouro-gpu-models/7b-$t.gguf" -p 512 -n 128 \
      -r "${REPS:-3}" >"$OUT/old-bench-7b-$t.txt" 2>&1
  done
fi
deadline=$((SECONDS + ${BUILD_WAIT:-420}))
until grep -qE "BUILD (DONE|FAILED)" /tmp/llama-build.log 2>/dev/null || [ $SECONDS -ge $deadline ]; do
  sleep 5
done
tail -3 /tmp/llama-build.log >"$OUT/llama-build-tail.txt"
bench=/tmp/llama.cpp/build/bin/llama-bench
if [ -x "$bench" ]; then
  for t in ${BENCH_TYPES:-q4_0 q8_0}; do
    "$bench" -m "/tmp/ouro-gpu-models/7b-$t.gguf" -ngl 99 -p 512 -n 128 -r "${REPS:-3}" \
      >"$OUT/llama-bench-7b-$t.txt" 2>&1
  done
fi
cat "$OUT/check/summary.txt" "$OUT"/old-bench-*.txt "$OUT"/llama-bench-*.txt 2>/dev/null
