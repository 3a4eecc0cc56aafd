#!/usr/bin/env bash
# Checks that llama.cpp loads and runs the synthetic models `ouro llm synth` writes.
#
# usage: scripts/check-synth-llamacpp.sh LLAMA_BIN_DIR
#
# LLAMA_BIN_DIR holds llama.cpp's llama-simple and llama-tokenize (and optionally
# llama-bench). For llama and qwen2, a tiny model of every matrix type is written and
# llama-simple generates from it; llama-tokenize checks the chat-control tokens; the 135m
# (SmolLM2) shape checks tied embeddings and llama.cpp's quant fallback for 576-wide rows;
# llama-bench, when present, measures one model. Set OURO to use a prebuilt ouro binary.
# Exits non-zero when any check fails.
set -euo pipefail

bin=${1:?usage: $0 LLAMA_BIN_DIR}
for tool in llama-simple llama-tokenize; do
    [ -x "$bin/$tool" ] || { echo "missing $bin/$tool" >&2; exit 2; }
done
export LD_LIBRARY_PATH="$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${OURO:-}" ]; then
    cargo build -q -p ouro-cli --manifest-path "$root/Cargo.toml"
    OURO="$root/target/debug/ouro"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
printf '%-6s %-5s %-5s %10s %6s %9s  %s\n' arch shape type bytes tokens "tok/s" result

# check ARCH SHAPE TYPE [extra synth args...]
check() {
    local arch=$1 shape=$2 ty=$3
    shift 3
    local model="$work/$arch-$shape-$ty.gguf" log="$work/log"
    local result=ok bytes=- decoded=- speed=-
    if ! "$OURO" llm synth --arch "$arch" --shape "$shape" --type "$ty" --seed 1 -o "$model" "$@" \
        >"$log" 2>&1; then
        result="synth failed: $(tail -1 "$log")"
    else
        bytes=$(stat -c %s "$model")
        if ! "$bin/llama-simple" -m "$model" -n 16 "Once upon a time" >"$log" 2>&1; then
            result="llama-simple failed: $(grep -m1 -iE 'error|failed' "$log" || tail -1 "$log")"
        elif ! grep -qE 'decoded [0-9]+ tokens' "$log"; then
            result="llama-simple decoded nothing"
        else
            decoded=$(grep -oE 'decoded [0-9]+' "$log" | grep -oE '[0-9]+')
            speed=$(grep -oE 'speed: [0-9.]+' "$log" | grep -oE '[0-9.]+')
            # BOS is <|im_start|> (1) and EOS <|im_end|> (2); both must parse as one token.
            ids=$("$bin/llama-tokenize" -m "$model" --ids --log-disable \
                -p $'<|im_start|>user\nhi there<|im_end|>' 2>/dev/null | tail -1)
            case "$ids" in
                "[1, "*", 2]") ;;
                *) result="chat tokens not special: $ids" ;;
            esac
        fi
    fi
    [ "$result" = ok ] || failures=$((failures + 1))
    printf '%-6s %-5s %-5s %10s %6s %9s  %s\n' "$arch" "$shape" "$ty" "$bytes" "$decoded" "$speed" "$result"
}

for arch in llama qwen2; do
    for ty in f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q4_K q5_K q6_K; do
        check "$arch" tiny "$ty"
    done
done
check llama 135m q4_K
check qwen2 135m q6_K --n-layer 6

if [ -x "$bin/llama-bench" ]; then
    model="$work/bench.gguf"
    "$OURO" llm synth --arch llama --shape 135m --type q4_0 -o "$model" >/dev/null
    echo
    echo "llama-bench on the 135m q4_0 synth model:"
    "$bin/llama-bench" -m "$model" -p 64 -n 16 -r 2 -o md 2>/dev/null ||
        { echo "llama-bench failed"; failures=$((failures + 1)); }
fi

echo
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
