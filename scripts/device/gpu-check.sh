#!/usr/bin/env bash
# For the device (GPU) machine: ouro's CUDA engine against its CPU engine, then its speed.
#   1. `ouro gpu list` (table and JSON) and a few `ouro gpu watch` samples;
#   2. GPU-vs-CPU logits and 64 greedy tokens (`ouro llm compare`) on synth models:
#      SmolLM2-135M-shaped in every type the CUDA engine runs, and 7B-shaped in $TYPES_7B;
#   3. the copy bandwidth (`ouro gpu bandwidth`), the ceiling for decode;
#   4. `ouro llm bench --device cuda:0` pp512/tg128 on 7B Q4_0 and Q8_0 (and llama-bench on
#      the same files when $LLAMA_BENCH points at one).
# Needs a stripped ouro in .dev/ (or $OURO); no Rust. Every step is logged to $OUT, and a
# failing step is reported without stopping the rest. Summary at the end of $OUT/summary.txt.
set -u
OUT=${OUT:-/tmp/ouro-gpu-check}
OURO=${OURO:-./.dev/ouro}
WORK=${WORK:-/tmp/ouro-gpu-models}
TYPES_135M=${TYPES_135M:-"q4_0 q4_1 q5_0 q5_1 q8_0 q4_K q6_K f16 f32"}
TYPES_7B=${TYPES_7B:-"q4_0 q8_0"}
BENCH_TYPES=${BENCH_TYPES:-"q4_0 q8_0"}
STEPS=${STEPS:-64}
REPS=${REPS:-3}
mkdir -p "$OUT" "$WORK"
LOG="$OUT/gpu-check.log"
SUMMARY="$OUT/summary.txt"
: >"$LOG"
: >"$SUMMARY"
chmod +x "$OURO" 2>/dev/null

# step NAME CMD...: runs CMD, output to $OUT/NAME.txt and the log, result to the summary.
step() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== $name: $*" | tee -a "$LOG"
  "$@" >"$OUT/$name.txt" 2>&1
  local rc=$?
  cat "$OUT/$name.txt" >>"$LOG"
  local line="$name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $((SECONDS - start)) s"
  echo "$line" | tee -a "$LOG" >>"$SUMMARY"
  return $rc
}

step env sh -c 'nvidia-smi; ldconfig -p | grep -E "libcuda|libnvrtc|libcublas|libnvidia-ml"; nproc; free -g'
step gpu-list "$OURO" gpu list
step gpu-list-json "$OURO" gpu list --json
step gpu-watch "$OURO" gpu watch --interval 500 --count 4
step bandwidth "$OURO" gpu bandwidth --mib 2048 -r 20 --json

synth() { # shape type -> path (written once)
  local f="$WORK/$1-$2.gguf"
  [ -s "$f" ] || step "synth-$1-$2" "$OURO" llm synth --shape "$1" --type "$2" -o "$f" >&2
  echo "$f"
}

for t in $TYPES_135M; do
  f=$(synth 135m "$t")
  [ -s "$f" ] && step "compare-135m-$t" "$OURO" llm compare --device cuda:0 -m "$f" -n "$STEPS"
  [ -s "$f" ] && step "compare-135m-$t-json" "$OURO" llm compare --device cuda:0 -m "$f" -n "$STEPS" --json
done
for t in $TYPES_7B; do
  f=$(synth 7b "$t")
  [ -s "$f" ] && step "compare-7b-$t" "$OURO" llm compare --device cuda:0 -m "$f" -n "$STEPS" --json
done
for t in $BENCH_TYPES; do
  f=$(synth 7b "$t")
  [ -s "$f" ] || continue
  step "bench-7b-$t" "$OURO" llm bench --device cuda:0 -m "$f" -p 512 -n 128 -r "$REPS"
  step "bench-7b-$t-json" "$OURO" llm bench --device cuda:0 -m "$f" -p 512 -n 128 -r "$REPS" --json
  if [ -n "${LLAMA_BENCH:-}" ]; then
    step "llama-bench-7b-$t" "$LLAMA_BENCH" -m "$f" -ngl 99 -p 512 -n 128 -r "$REPS"
  fi
done
step gpu-list-after "$OURO" gpu list
# Fraction of the bandwidth limit: weight bytes × tg tok/s over the measured copy bandwidth.
if command -v python3 >/dev/null; then
  step roofline python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
bw = json.load(open(os.path.join(out, "bandwidth.txt")))["median_bytes_per_s"]
print(f"copy bandwidth {bw / 1e12:.2f} TB/s")
for f in sorted(glob.glob(os.path.join(out, "bench-*-json.txt"))):
    b = json.load(open(f))
    for r in b["results"]:
        line = f"{os.path.basename(b['model'])} {r['test']}: {r['mean_tps']:.1f} tok/s"
        if r["test"].startswith("tg"):
            line += f", {b['size_bytes'] * r['mean_tps'] / bw * 100:.1f}% of the bandwidth limit ({bw / b['size_bytes']:.0f} tok/s)"
        print(line)
PY
fi
echo "--- summary" | tee -a "$LOG"
cat "$SUMMARY" | tee -a "$LOG"
grep -h -E "PASS|FAIL|tok/s|\| pp|\| tg" "$OUT"/compare-*[^n].txt "$OUT"/bench-*[^n].txt 2>/dev/null | tee -a "$SUMMARY"
exit 0
