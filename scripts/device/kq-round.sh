#!/usr/bin/env bash
# For the device (GPU) machine, issue 15's round in one call: ouro (.dev/ouro.gz, a gzipped
# stripped release build) against llama.cpp (built there in the background by
# build-llama-cuda.sh from .dev/llama-src.tgz) on synth 7B Q4_K_M / Q4_K / Q6_K on the GPU,
# then on the CPU (all cores, then 2 threads) on synth 1B Q4_0 / Q8_0 and a random-weight
# model of Qwen2.5-Coder-1.5B's shape and type (qwen2, Q4_K_M), which cannot travel itself.
# Each 7B file is written just before its benchmarks, so that a run cut short still returns
# figures. Results go straight into $OUT (a few files).
# Usage (device tool, carry .dev): bash scripts/device/kq-round.sh
set -u
export NCCL_NVLS_ENABLE=0
G=$OUT/gpu.txt; C=$OUT/cpu.txt; S=$OUT/summary.txt
M=/tmp/m; mkdir -p $M
T0=$SECONDS
log() { echo "[$((SECONDS - T0)) s] $*" | tee -a $S; }
bash scripts/device/build-llama-cuda.sh >/dev/null
gunzip -c .dev/ouro.gz >/tmp/ouro; chmod +x /tmp/ouro
N=/tmp/ouro
LB=/tmp/llama.cpp/build/bin/llama-bench
{ nvidia-smi; lscpu; } >$OUT/machine.txt 2>&1
$N gpu bandwidth --mib 2048 -r 20 >>$S 2>&1
# The CPU files are written meanwhile (the GPU benchmarks use one core).
(
  for t in q4_0 q8_0; do $N llm synth --shape 1b --type $t -o $M/1b-$t.gguf; done
  $N llm synth --arch qwen2 --shape 1b --n-embd 1536 --n-layer 28 --n-head 12 --n-head-kv 2 \
    --n-ff 8960 --n-vocab 151936 --tied true --type q4_K_M -o $M/qwen1.5b-q4_K_M.gguf
) >>$C 2>&1 &
cpu_files=$!
for t in q4_K_M q4_K q6_K; do
  log "synth 7b $t"
  $N llm synth --shape 7b --type $t -o $M/7b-$t.gguf >>$S 2>&1
  log "bench 7b $t"
  echo "=== ouro 7b $t" >>$G
  $N llm bench --device cuda:0 -m $M/7b-$t.gguf -p 512 -n 128 -r 3 >>$G 2>&1
  if grep -q "BUILD DONE" /tmp/llama-build.log 2>/dev/null; then
    echo "=== llama-bench 7b $t" >>$G
    $LB -m $M/7b-$t.gguf -ngl 99 -p 512 -n 128 -r 3 >>$G 2>&1
  fi
done
log wait-llama
# The build takes about 7 minutes on the 16 cores (it finished at about 400 s on an H100 host).
until grep -qE "BUILD (DONE|FAILED)" /tmp/llama-build.log 2>/dev/null || [ $((SECONDS - T0)) -ge 450 ]; do sleep 5; done
tail -2 /tmp/llama-build.log >>$S
# The files llama-bench has not run yet (the build finished after their ouro benchmarks).
for t in q4_K_M q4_K q6_K; do
  if [ -x $LB ] && ! grep -q "=== llama-bench 7b $t" $G; then
    echo "=== llama-bench 7b $t" >>$G
    $LB -m $M/7b-$t.gguf -ngl 99 -p 512 -n 128 -r 3 >>$G 2>&1
  fi
done
grep -E "^===|pp512|tg128" $G >>$S
rm -f $M/7b-*.gguf
wait $cpu_files
log cpu
lscpu | grep -iE "model name|flags" | cut -c1-600 >>$C
for th in 16 2; do
  for f in qwen1.5b-q4_K_M 1b-q4_0 1b-q8_0; do
    [ $((SECONDS - T0)) -ge 570 ] && break 2
    r=$([ $th = 2 ] && echo 1 || echo 2)
    echo "=== cpu ouro $f t$th r$r" >>$C; $N llm bench --device cpu -t $th -m $M/$f.gguf -p 512 -n 128 -r $r >>$C 2>&1
    [ -x $LB ] && { echo "=== cpu llama $f t$th r$r" >>$C; CUDA_VISIBLE_DEVICES= $LB -m $M/$f.gguf -ngl 0 -t $th -p 512 -n 128 -r $r >>$C 2>&1; }
  done
  log cpu t$th done
done
grep -E "^===|pp512|tg128" $C >>$S
log end
