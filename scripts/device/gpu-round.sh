#!/usr/bin/env bash
# One device call that measures ouro's CUDA engine against llama.cpp's in a single run:
# starts the llama.cpp CUDA build in the background (build-llama-cuda.sh), runs gpu-check.sh
# (GPU-vs-CPU comparisons with the CPU noise floor, ouro's benchmarks) meanwhile, then
# llama-bench on the same 7B files once the build is done (waiting at most until
# $BUILD_DEADLINE seconds after the start). $OURO_OLD (optional) is a second
# ouro binary benchmarked on the same files, for before/after figures. While a last
# benchmark runs it records `ouro gpu watch --json` samples and one frame of `ouro tui`
# (the dashboard's GPU panel with the device's real figures).
# Usage: OUT=... scripts/device/gpu-round.sh   (results under $OUT: a few files, the
# gpu-check details under $CHECK)
set -u
OUT=${OUT:-/tmp/ouro-gpu-round}
CHECK=${CHECK:-/tmp/ouro-gpu-check}
OURO=${OURO:-./.dev/ouro}
mkdir -p "$OUT"
bash scripts/device/build-llama-cuda.sh
OUT="$CHECK" WORK=/tmp/ouro-gpu-models bash scripts/device/gpu-check.sh >/dev/null 2>&1
cat "$CHECK/summary.txt" "$CHECK/roofline.txt" >"$OUT/summary.txt" 2>/dev/null
cat "$CHECK"/gpu-list.txt "$CHECK"/gpu-list-json.txt >"$OUT/gpu-list.txt" 2>/dev/null
"$OURO" llm bench --device cuda:0 -m /tmp/ouro-gpu-models/7b-q4_0.gguf -p 512 -n 1024 -r 2 \
  >/dev/null 2>&1 &
bench_pid=$!
sleep 4
"$OURO" gpu watch --json --interval 500 --count 8 >"$OUT/gpu-watch.jsonl" 2>&1
"$OURO" tui --once --size 120x40 >"$OUT/tui-frame.txt" 2>&1
"$OURO" gpu watch --json --interval 500 --count 8 >>"$OUT/gpu-watch.jsonl" 2>&1
wait "$bench_pid"
if [ -n "${OURO_OLD:-}" ]; then
  chmod +x "$OURO_OLD"
  for t in ${BENCH_TYPES:-q4_0 q8_0}; do
    "$OURO_OLD" llm bench --device cuda:0 -m "/tmp/ouro-gpu-models/7b-$t.gguf" -p 512 -n 128 \
      -r "${REPS:-3}" >"$OUT/old-bench-7b-$t.txt" 2>&1
  done
fi
deadline=${BUILD_DEADLINE:-480} # seconds since the start: room is left for llama-bench
until grep -qE "BUILD (DONE|FAILED)" /tmp/llama-build.log 2>/dev/null || [ $SECONDS -ge $deadline ]; do
  sleep 5
done
{ echo "--- llama.cpp build (at ${SECONDS} s)"; tail -3 /tmp/llama-build.log; } >>"$OUT/summary.txt"
bench=/tmp/llama.cpp/build/bin/llama-bench
if [ -x "$bench" ]; then
  for t in ${BENCH_TYPES:-q4_0 q8_0}; do
    "$bench" -m "/tmp/ouro-gpu-models/7b-$t.gguf" -ngl 99 -p 512 -n 128 -r "${REPS:-3}" \
      >"$OUT/llama-bench-7b-$t.txt" 2>&1
  done
fi
cat "$OUT/summary.txt" "$OUT"/old-bench-*.txt "$OUT"/llama-bench-*.txt "$OUT/tui-frame.txt" 2>/dev/null
