#!/usr/bin/env python3
"""PyTorch reference timings for the CUDA rows of the Panamax benchmarks, on the same shapes, fp32 throughout.

TF32 is disabled, so cuBLAS/cuDNN do true fp32 like Panamax's kernels. Times are CUDA-event milliseconds per
call (median of 3 runs of `iters` calls after a warm-up), the same measure GpuTime reports as gpuMsPerCall.
Writes one JSON object to stdout.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = torch.device("cuda")


def cuda_ms(fn, warmup=5, iters=20):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    runs = []
    for _ in range(3):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        stop.record()
        stop.synchronize()
        runs.append(start.elapsed_time(stop) / iters)
    return sorted(runs)[1]


results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "cuda": torch.version.cuda, "tf32": False, "gemm": [], "attention": [], "conv2d": []}

# GemmBenchmark: C = A·B, row-major fp32 (torch.matmul → cuBLAS SGEMM).
for m, k, n in [(4096, 4096, 4096), (2048, 2048, 2048), (1024, 1024, 1024), (768, 512, 128)]:
    a = torch.randn(m, k, device=dev)
    b = torch.randn(k, n, device=dev)
    ms = cuda_ms(lambda: torch.matmul(a, b))
    results["gemm"].append({"shape": f"{m}x{k}x{n}", "ms": ms, "tflops": 2.0 * m * n * k / ms / 1e9})

# AttentionBenchmark: causal self-attention, batch 1, 12 heads, T = 1024, head_dim 64, fp32.
B, H, T, D = 1, 12, 1024, 64
q, k, v = (torch.randn(B, H, T, D, device=dev, requires_grad=True) for _ in range(3))
d_out = torch.randn(B, H, T, D, device=dev)
flops_fwd = 2.0 * B * H * T * T * D  # the unmasked half of QKᵀ and PV, as AttentionBenchmark counts
try:
    from torch.nn.attention import SDPBackend, sdpa_kernel
    choices = [("default", None), ("efficient", SDPBackend.EFFICIENT_ATTENTION), ("math", SDPBackend.MATH)]
except ImportError:  # older torch
    sdpa_kernel, choices = None, [("default", None)]
for name, backend in choices:
    def run(fn):
        if backend is None:
            return fn()
        with sdpa_kernel(backend):
            return fn()
    try:
        fwd = cuda_ms(lambda: run(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)))
        out = run(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
        bwd = cuda_ms(lambda: torch.autograd.grad(out, (q, k, v), d_out, retain_graph=True))
        results["attention"].append({"sdpa": name, "shape": f"B{B} H{H} T{T} d{D} causal",
                                     "forward_ms": fwd, "backward_ms": bwd,
                                     "forward_tflops": flops_fwd / fwd / 1e9,
                                     "backward_tflops": 2.5 * flops_fwd / bwd / 1e9})
    except RuntimeError as e:  # a backend that does not support fp32 on this GPU
        results["attention"].append({"sdpa": name, "error": str(e).splitlines()[0]})

# Conv2dBenchmark: 3×3, stride 1, padding 1, C → C channels (cuDNN, fp32).
for n, c, h, w in [(16, 64, 32, 32), (16, 128, 16, 16)]:
    x = torch.randn(n, c, h, w, device=dev, requires_grad=True)
    wt = torch.randn(c, c, 3, 3, device=dev, requires_grad=True)
    dy = torch.randn(n, c, h, w, device=dev)
    fwd = cuda_ms(lambda: F.conv2d(x, wt, padding=1))
    y = F.conv2d(x, wt, padding=1)
    bi = cuda_ms(lambda: torch.autograd.grad(y, x, dy, retain_graph=True))
    bw = cuda_ms(lambda: torch.autograd.grad(y, wt, dy, retain_graph=True))
    flops = 2.0 * n * c * c * 9 * h * w
    results["conv2d"].append({"shape": f"{n}x{c}x{h}x{w}", "forward_ms": fwd, "backward_input_ms": bi,
                              "backward_weight_ms": bw, "forward_tflops": flops / fwd / 1e9})

json.dump(results, sys.stdout, indent=2)
print()
