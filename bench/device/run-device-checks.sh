#!/usr/bin/env bash
# The CUDA checks for one device session (one H200; about 7 minutes, at most 8: see BUDGET_S), run from the
# repository root:
#   1. the GPU and driver (nvidia-smi), CUDA availability as Panamax sees it;
#   2. the cross-backend tests: every CUDA kernel against the scalar reference / exact oracles
#      (CudaGemmTest, CudaAttentionTest, CudaConvTest, CudaOpsTest, plus the PTX and selection tests);
#   3. the JMH benchmarks with backend=cuda next to the SIMD backend on the same shapes (CUDA-event GPU time in
#      the secondary metric gpuMsPerCall);
#   4. PyTorch's fp32 references on the same shapes (torch.matmul at 4096³ with TF32 off, scaled_dot_product_attention);
#   5. the model steps on cuda, short: a GPT training step (small config and GPT-2 124M), a GPT-2 decode step, a
#      diffusion training and sampling step (also the end-to-end check that the models run on the GPU).
# Everything lands under $OUT (the device tool's output folder; default bench/device/out). Steps time out
# separately, so one hanging step does not cost the others, and no benchmark or reference step starts or runs
# past BUDGET_S seconds (default 480) from the start of the script: a device session has 15 minutes in all.
#
# Classes and jars come from bench/device/dist/ when present (made by bench/device/prepare-dist.sh and carried
# to the device), otherwise from a Maven build here (needs Maven and its repository on the device).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/bench/device/out}
BUDGET_S=${BUDGET_S:-480}
mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/summary.txt"; }
# within LIMIT: sets `limit` to LIMIT or what is left of BUDGET_S if less; fails when under 20 s are left.
within() {
    local left=$((BUDGET_S - SECONDS))
    limit=$(( $1 < left ? $1 : left ))
    [ "$limit" -ge 20 ]
}

log "GPU"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || log "nvidia-smi failed"
head -15 "$OUT/nvidia-smi.txt" | tee -a "$OUT/summary.txt"

# ---------------------------------------------------------------- Java 25
java=""
for candidate in "bench/device/dist/jre/bin/java" "${JAVA_HOME:-/nonexistent}/bin/java" /usr/lib/jvm/*25*/bin/java "$(command -v java || true)"; do
    if [ -x "$candidate" ] && "$candidate" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'; then
        java=$candidate
        break
    fi
done
if [ -z "$java" ]; then
    log "no Java 25 found (JAVA_HOME, /usr/lib/jvm, PATH, bench/device/dist/jre): prepare the dist with --with-jre"
    exit 1
fi
log "java: $java"
jvm=("$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

# ---------------------------------------------------------------- classes
if [ -d bench/device/dist/lib ]; then
    d=bench/device/dist
    cp="$d/engine-classes:$d/engine-test-classes:$d/models-classes:$d/bench-classes:$d/runner:$d/lib/*"
    log "classes from $d"
else
    log "building with Maven"
    JAVA_HOME=$(dirname "$(dirname "$java")") timeout 240 mvn -o -q package -DskipTests > "$OUT/build.txt" 2>&1 \
        && JAVA_HOME=$(dirname "$(dirname "$java")") timeout 120 mvn -o -q -pl engine test-compile \
            dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/engine.cp" >> "$OUT/build.txt" 2>&1 \
        || { log "build failed: see build.txt"; tail -20 "$OUT/build.txt"; exit 1; }
    # The JUnit launcher (RunCudaTests' API) is not a test dependency: take the one matching the platform engine.
    platform=$(tr ':' '\n' < "$OUT/engine.cp" | grep -m 1 '/junit-platform-engine-[^/]*\.jar$')
    launcher=${platform//junit-platform-engine/junit-platform-launcher}
    [ -f "$launcher" ] && printf ':%s' "$launcher" >> "$OUT/engine.cp" || log "no JUnit launcher next to $platform"
    mkdir -p "$OUT/runner"
    "$(dirname "$java")/javac" -d "$OUT/runner" -cp "$(cat "$OUT/engine.cp")" bench/device/RunCudaTests.java
    cp="engine/target/classes:engine/target/test-classes:models/target/classes:bench/target/classes:$OUT/runner:$(cat "$OUT/engine.cp"):$(cat bench/target/classpath.txt)"
fi

log "CUDA as Panamax sees it"
timeout 60 "${jvm[@]}" -cp "$cp" dev.panamax.models.cli.PanamaxCommand info 2>&1 | tee "$OUT/info.txt" | tee -a "$OUT/summary.txt"

# ---------------------------------------------------------------- cross-backend tests
log "cross-backend tests"
timeout 300 "${jvm[@]}" -cp "$cp" RunCudaTests \
    dev.panamax.engine.cuda.CudaAvailabilityTest dev.panamax.engine.cuda.PtxResourcesTest \
    dev.panamax.engine.cuda.CudaBackendOverridesTest dev.panamax.engine.CudaOpsTest dev.panamax.engine.CudaGemmTest \
    dev.panamax.engine.attention.CudaAttentionTest dev.panamax.engine.CudaConvTest > "$OUT/tests.txt" 2>&1
log "tests exit status $? (0 passed, 1 failures, 2 nothing ran)"
grep -E "(tests|containers) (successful|failed|skipped|aborted|found)" "$OUT/tests.txt" | tee -a "$OUT/summary.txt"

# ---------------------------------------------------------------- benchmarks
cores=$(nproc)
iterations=(-wi 2 -i 3 -w 1 -r 1)
jmh() {   # name, timeout, JMH arguments... (iterations: ${iterations[@]})
    local name=$1
    within "$2" || { log "JMH $name skipped: under 20 s of the ${BUDGET_S} s budget left"; return; }
    shift 2
    log "JMH $name (limit ${limit} s)"
    timeout "$limit" "${jvm[@]}" -cp "$cp" org.openjdk.jmh.Main "$@" -f 1 "${iterations[@]}" \
        -rf json -rff "$OUT/jmh-$name.json" > "$OUT/jmh-$name.txt" 2>&1 || log "$name: exit status $?"
    grep -E "^(Benchmark|[A-Za-z0-9]+Benchmark\.)" "$OUT/jmh-$name.txt" | tee -a "$OUT/summary.txt"
    grep -m 3 -E "^(java|[a-z.]+)\.[A-Za-z.]*(Exception|Error)" "$OUT/jmh-$name.txt" | tee -a "$OUT/summary.txt"
}
jmh gemm-cuda 150 GemmBenchmark -p backend=cuda -p threads=1 -p shape=4096,2048,1024,768x128x512,1x768x2304
jmh gemm-simd 90 GemmBenchmark -p backend=simd -p threads="$cores" -p shape=1024,2048
# cuda on threads=1, the CPU next to it on all cores only (single-core CPU rows would only cost time here)
jmh attention-cuda 60 AttentionBenchmark -p impl=cuda -p threads=1
jmh attention-fused 60 AttentionBenchmark -p impl=fused -p threads="$cores"
jmh conv-cuda 70 Conv2dBenchmark -p backend=cuda -p threads=1
jmh conv-simd 70 Conv2dBenchmark -p backend=simd -p threads="$cores"

# ---------------------------------------------------------------- PyTorch references
if within 120; then
    log "PyTorch references"
    timeout "$limit" python3 bench/device/torch_reference.py > "$OUT/torch.json" 2> "$OUT/torch.txt" \
        || log "torch reference failed: $(tail -1 "$OUT/torch.txt")"
    cat "$OUT/torch.json" >> "$OUT/summary.txt"
else
    log "PyTorch references skipped: under 20 s of the ${BUDGET_S} s budget left"
fi

# ---------------------------------------------------------------- model steps on cuda (short: 2 + 2 iterations)
# The first CUDA step of a fresh JVM also JIT-compiles the PTX and the host code; 2 warm-up seconds cover it.
iterations=(-wi 2 -i 2 -w 1 -r 1)
jmh gpt-train 90 GptTrainStepBenchmark -p backend=cuda -p threads=1 -p config=shakespeare-char-small,gpt2
jmh gpt-decode 50 GptGenerateBenchmark -p backend=cuda -p threads=1
jmh diffusion 60 DiffusionStepBenchmark -p backend=cuda -p threads=1
log "done after ${SECONDS} s"
