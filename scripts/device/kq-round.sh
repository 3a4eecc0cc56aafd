#!/usr/bin/env bash
# For the device (GPU) machine, issue 15's round in one call: ouro (.dev/ouro-kq.gz, its
# K-quant kernel variants through OURO_CUDA_KQ / OURO_CUDA_PDL) against ouro-base
# (.dev/ouro-base.gz, gzipped stripped release builds) and llama.cpp (built in the background
# by build-llama-cuda.sh) on synth 7B Q4_K / Q6_K / Q4_K_M, GPU-vs-CPU checks, then the CPU
# (-t 16, then -t 2 while time is left) against llama.cpp with -ngl 0 on synth 1B. Results
# go straight into $OUT (a few files, so that a run cut short still returns what it had).
# Usage (device tool, carry .dev): bash scripts/device/kq-round.sh
set -u
export NCCL_NVLS_ENABLE=0
G=$OUT/gpu.txt; C=$OUT/cpu.txt; S=$OUT/summary.txt
M=/tmp/m; mkdir -p $M
T0=$SECONDS
log() { echo "[$((SECONDS - T0)) s] $*" | tee -a $S; }
bash scripts/device/build-llama-cuda.sh >/dev/null
for b in kq base; do gunzip -c .dev/ouro-$b.gz >/tmp/ouro-$b; chmod +x /tmp/ouro-$b; done
N=/tmp/ouro-kq; B=/tmp/ouro-base
{ nvidia-smi; lscpu; } >$OUT/machine.txt 2>&1
$N gpu bandwidth --mib 2048 -r 20 >>$S 2>&1
log synth
for t in q4_K q6_K q4_K_M; do $N llm synth --shape 7b --type $t -o $M/7b-$t.gguf >>$S 2>&1; done
for t in q4_K q6_K q4_K_M q4_0; do $N llm synth --shape 135m --type $t -o $M/135m-$t.gguf >>$S 2>&1; done
log compare
cmp() { echo "=== compare $*" >>$G; "$@" >>$G 2>&1; echo "rc $?" >>$G; }
for t in q4_K q6_K q4_K_M q4_0; do
  cmp $N llm compare --device cuda:0 -m $M/135m-$t.gguf -n 64
  OURO_CUDA_PDL=on cmp $N llm compare --device cuda:0 -m $M/135m-$t.gguf -n 64
done
OURO_CUDA_PDL=on cmp $N llm compare --device cuda:0 -m $M/7b-q4_K_M.gguf -n 16
grep -E "^===|^rc |greedy|match|max" $G | cut -c1-160 | tail -60 >>$S
log bench
# bn TYPE LABEL BINARY ARGS...: one `llm bench` (the binary's subcommand before its options).
bn() { echo "=== bench $1 $2" >>$G; local bin=$3; shift 3; "$bin" llm bench --device cuda:0 -p 512 -n 128 -r 3 "$@" >>$G 2>&1; }
for t in q4_K q6_K q4_K_M; do
  f="-m $M/7b-$t.gguf"
  bn $t base $B $f
  OURO_CUDA_KQ=r2 OURO_CUDA_PDL=off bn $t r2 $N $f
  OURO_CUDA_KQ=r4 OURO_CUDA_PDL=off bn $t r4 $N $f
  OURO_CUDA_KQ=r2 OURO_CUDA_PDL=on bn $t r2-pdl $N $f
done
grep -E "^=== bench|tg128|pp512" $G >>$S
log wait-llama
until grep -qE "BUILD (DONE|FAILED)" /tmp/llama-build.log 2>/dev/null || [ $((SECONDS - T0)) -ge 300 ]; do sleep 5; done
tail -2 /tmp/llama-build.log >>$S
LB=/tmp/llama.cpp/build/bin/llama-bench
if [ -x $LB ]; then
  for t in q4_K q6_K q4_K_M; do
    echo "=== llama-bench $t" >>$G; $LB -m $M/7b-$t.gguf -ngl 99 -p 512 -n 128 -r 3 >>$G 2>&1
  done
  grep -A8 "=== llama-bench" $G | grep -E "===|pp512|tg128" >>$S
fi
log cpu
for t in q4_0 q8_0 q4_K_M; do $N llm synth --shape 1b --type $t -o $M/1b-$t.gguf >>$C 2>&1; done
lscpu | grep -iE "model name|flags" | cut -c1-400 >>$C
for th in 16 2; do
  [ $((SECONDS - T0)) -ge 340 ] && break
  for t in q4_0 q8_0 q4_K_M; do
    f=$M/1b-$t.gguf
    r=$([ $th = 2 ] && echo 1 || echo 2)
    echo "=== cpu ouro $t t$th r$r" >>$C; $N llm bench --device cpu -t $th -m $f -p 512 -n 128 -r $r >>$C 2>&1
    [ -x $LB ] && { echo "=== cpu llama $t t$th r$r" >>$C; CUDA_VISIBLE_DEVICES= $LB -m $f -ngl 0 -t $th -p 512 -n 128 -r $r >>$C 2>&1; }
  done
  log cpu t$th done
done
log end
