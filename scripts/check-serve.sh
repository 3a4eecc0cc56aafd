#!/usr/bin/env bash
# `ouro serve` against the official `openai` Python client, unmodified: starts the server on
# the default coding model on a free loopback port, runs scripts/openai-client-check.py, and
# fails unless every check passes. The client comes from PyPI (pip download of openai and its
# dependencies, unpacked under target/py-openai; no install into the system Python).
set -euo pipefail
cd "$(dirname "$0")/.."
site=target/py-openai/site
if ! PYTHONPATH=$site python3 -c "import openai" 2>/dev/null; then
  rm -rf target/py-openai
  mkdir -p target/py-openai/wheels "$site"
  python3 -m pip download --quiet --only-binary=:all: -d target/py-openai/wheels openai
  for w in target/py-openai/wheels/*.whl; do
    python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$w" "$site"
  done
fi
cargo build --release --quiet -p ouro-cli
ouro="${CARGO_TARGET_DIR:-target}/release/ouro"
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
log=$(mktemp)
"$ouro" serve --port "$port" --parallel 2 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health')" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "ouro serve exited" >&2; exit 1; }
  sleep 1
done
PYTHONPATH=$site python3 scripts/openai-client-check.py "http://127.0.0.1:$port/v1"
echo "== ouro serve passed the openai client's checks"
