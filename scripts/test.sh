#!/usr/bin/env bash
# ouro's test suite: fetches the models the tests need (so no model test is skipped), runs
# every test of the workspace, then the quick start as the end-to-end check: the development
# loop must fix and promote the demo bug with the default coding model, or this fails; and
# `ouro serve` must pass the official openai client's checks (scripts/check-serve.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh smollm2-135m qwen2.5-coder-0.5b qwen2.5-coder-1.5b
export OURO_REQUIRE_MODELS=1
cargo test --workspace "$@"
./scripts/quickstart.sh
./scripts/check-serve.sh
