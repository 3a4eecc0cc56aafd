#!/usr/bin/env bash
# For the device (GPU) machine: builds llama.cpp's llama-bench with CUDA (sm_90) from the source
# that the llama-cpp-python 0.3.36 sdist vendors, carried as .dev/llama-src.tgz (made here with
# `tar czf .dev/llama-src.tgz -C <sdist>/vendor llama.cpp`, models/docs left out). Runs in the
# background (setsid) so that later device calls can use /tmp/llama.cpp/build/bin/llama-bench;
# progress in /tmp/llama-build.log, "BUILD DONE" or "BUILD FAILED" at its end.
set -u
src=${1:-.dev/llama-src.tgz}
rm -rf /tmp/llama.cpp && tar xzf "$src" -C /tmp || exit 1
setsid nohup bash -c '
  cd /tmp/llama.cpp &&
  cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DGGML_CUDA_NCCL=OFF -DGGML_NATIVE=ON -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_UI=OFF &&
  cmake --build build --target llama-bench -j "$(nproc)" && echo BUILD DONE || echo BUILD FAILED
' >/tmp/llama-build.log 2>&1 < /dev/null &
echo "llama.cpp CUDA build started in the background: /tmp/llama-build.log"
