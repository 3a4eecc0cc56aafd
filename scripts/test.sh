#!/usr/bin/env bash
# ouro's test suite: fetches the models the tests need (so no model test is skipped), then
# runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh smollm2-135m
export OURO_REQUIRE_MODELS=1
cargo test --workspace "$@"
