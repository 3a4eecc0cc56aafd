#!/usr/bin/env bash
# Build llama.cpp's llama-server (+ llama-cli, llama-bench) for the CPU, from the
# llama.cpp source vendored in the PyPI sdist of llama-cpp-python (ggml 0.25.3).
# Nothing lands in the repo: source in $PEERS/src, build tree in $PEERS/llama-build.
# Idempotent: skips the download, unpack, configure and build steps already done.
set -euo pipefail

PEERS="${PEERS_DIR:-/work/peers}"
VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
SRC_ROOT="$PEERS/src"
SDIST="$SRC_ROOT/llama_cpp_python-$VERSION.tar.gz"
LLAMA_SRC="$SRC_ROOT/llama_cpp_python-$VERSION/vendor/llama.cpp"
BUILD="$PEERS/llama-build"
JOBS="${JOBS:-2}"
TARGETS=(llama-server llama-cli llama-bench)

mkdir -p "$SRC_ROOT"

if ! command -v cmake >/dev/null 2>&1; then
    echo "build-llama: installing cmake (apt)" >&2
    apt-get update -qq && apt-get install -y -qq cmake
fi

if [ ! -f "$SDIST" ]; then
    echo "build-llama: downloading llama-cpp-python==$VERSION sdist" >&2
    python3 -m pip download --no-deps --no-binary=:all: "llama-cpp-python==$VERSION" -d "$SRC_ROOT"
fi

if [ ! -f "$LLAMA_SRC/CMakeLists.txt" ]; then
    echo "build-llama: unpacking $SDIST" >&2
    tar -xzf "$SDIST" -C "$SRC_ROOT"
fi

all_built=1
for t in "${TARGETS[@]}"; do
    [ -x "$BUILD/bin/$t" ] || all_built=0
done

if [ "$all_built" = 1 ] && [ "${FORCE:-0}" != 1 ]; then
    echo "build-llama: already built (FORCE=1 to rebuild)" >&2
else
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        # LLAMA_CURL is deprecated in this llama.cpp (a no-op with a warning); kept as
        # asked. LLAMA_USE_PREBUILT_UI=OFF: don't try to download the web UI at build time.
        cmake -S "$LLAMA_SRC" -B "$BUILD" \
            -DCMAKE_BUILD_TYPE=Release \
            -DGGML_NATIVE=ON \
            -DLLAMA_CURL=OFF \
            -DLLAMA_BUILD_TESTS=OFF \
            -DLLAMA_BUILD_EXAMPLES=OFF \
            -DLLAMA_BUILD_SERVER=ON \
            -DLLAMA_USE_PREBUILT_UI=OFF \
            -DLLAMA_BUILD_UI=OFF
    fi
    # Build only the three binaries we use (not every tool), on 2 cores.
    cmake --build "$BUILD" --config Release -j "$JOBS" --target "${TARGETS[@]}"
fi

for t in "${TARGETS[@]}"; do
    if [ -x "$BUILD/bin/$t" ]; then
        echo "$t: $BUILD/bin/$t"
    else
        echo "$t: MISSING ($BUILD/bin/$t)" >&2
        exit 1
    fi
done
