// The GPU's one fixed implementation of the per-element math of KERNELS.md §1.3 (steps 2, 4 and 8), shared by the
// `seq` scan and the decode step so that prefill and decode agree bit for bit. The file is compiled without
// --use_fast_math; every approximation here is deliberate and its error bound is stated.
#pragma once
#include <cuda_runtime.h>

namespace corey::cuda {

__device__ __forceinline__ float ex2_approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// softplus(x) = log1p(exp(x)) for x <= 20, else x (step 2), evaluated as max(x, 0) + log1p(t) with
// t = exp(-|x|) in (0, 1] and log1p(t) = t·P(2t − 1), P the degree-9 Chebyshev fit of log1p(t)/t on [0, 1]
// (relative error 5.2e-9). Against fp64 on the H200 (test_gpu_scan_math, every 101st float of [-40, 30]): at
// most 4.0 × 2^-24 relative, CUDA's log1pf(expf(x)) 3.1. CUDA's log1pf costs about three times the
// instructions, and at batch 1 the scan issues its per-element math between the recurrence's dependent steps.
__device__ __forceinline__ float softplus_f32(float x) {
  const float t = expf(-fabsf(x));
  const float v = __fmaf_rn(2.0f, t, -1.0f);
  float p = -6.203236364124922e-06f;
  p = __fmaf_rn(p, v, 2.050886983621204e-05f);
  p = __fmaf_rn(p, v, -5.3031382437019994e-05f);
  p = __fmaf_rn(p, v, 0.00018090133097473042f);
  p = __fmaf_rn(p, v, -0.0006425994510051105f);
  p = __fmaf_rn(p, v, 0.0022897021353962114f);
  p = __fmaf_rn(p, v, -0.008461023706749466f);
  p = __fmaf_rn(p, v, 0.033152253944296786f);
  p = __fmaf_rn(p, v, -0.14426355068598967f);
  p = __fmaf_rn(p, v, 0.8109302199132427f);
  const float sp = __fadd_rn(fmaxf(x, 0.0f), __fmul_rn(t, p));
  return x <= 20.0f ? sp : x;
}

// The gate z / (1 + exp(-z)) of step 8 with the hardware reciprocal (__fdividef: within 2 ulp, against 0.5 for
// the IEEE division and its slow-path check). From z ≈ -87.3 on, where the denominator reaches 2^126, it
// returns 0 for a true value below 1e-36.
__device__ __forceinline__ float gate_f32(float z) { return __fdividef(z, __fadd_rn(1.0f, expf(-z))); }

}  // namespace corey::cuda
