#!/usr/bin/env bash
# Compiles the CUDA kernels in native/*.cu to PTX, the portable assembly the CUDA driver JIT-compiles for
# whatever GPU it finds, and writes them where the engine loads them as resources:
#   engine/src/main/resources/dev/panamax/engine/cuda/<name>.ptx
# The PTX is committed, so building and using the CUDA backend does not need nvcc; rerun this after editing a .cu
# file (EngineTest PtxSourcesTest fails while the committed PTX is stale and nvcc is on the PATH).
#
#   native/build-ptx.sh [output-dir]      (NVCC=/path/to/nvcc to choose the compiler)
#
# Target: compute_80 (Ampere and newer). nvcc 13 stamps PTX ISA 9.0, which only drivers for CUDA 13 accept. The
# kernels use nothing newer than PTX ISA 7.0 (CUDA 11.0), so the .version line is lowered to 7.0 and the result is
# checked with ptxas; the backend then loads on any driver from CUDA 11 on. The output holds no paths or
# timestamps, so the same sources and compiler always give byte-identical files.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../engine/src/main/resources/dev/panamax/engine/cuda"}
nvcc=${NVCC:-nvcc}
ptxas=$(dirname "$(command -v "$nvcc")")/ptxas
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {
    local name=$1
    "$nvcc" -ptx -arch=compute_80 -O3 -o "$work/$name.ptx" "$name.cu"
    sed -e 's/^\.version [0-9]*\.[0-9]*$/.version 7.0/' "$work/$name.ptx" > "$out/$name.ptx"
    if [ -x "$ptxas" ]; then
        "$ptxas" -arch=sm_80 -o "$work/$name.cubin" "$out/$name.ptx"
    fi
    echo "$out/$name.ptx: $(grep -c '^\.visible \.entry' "$out/$name.ptx") kernels"
}

cd "$here"   # relative source names: nothing machine-specific can end up in the output
pids=()
for source in *.cu; do
    build "${source%.cu}" &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid"   # set -e: a failed module fails the script
done
