#include "decode_kernels.hpp"

#include <string>

#include "core/error.hpp"
#include "cuda_check.hpp"
#include "model_device.cuh"
#include "programmatic_launch.cuh"
#include "scan_math.cuh"

namespace corey::cuda {
namespace {

using namespace model_device;

constexpr int kStates = 16;
constexpr float kLog2e = 1.4426950408889634f;
constexpr int kInProjWarps = 8;   // channels per in_proj block
constexpr int kOutProjWarps = 4;  // rows per out_proj block
constexpr int kHeadWarps = 8;
constexpr int kHeadRows = 2;      // head rows per warp
constexpr int kDtPerLane = 4;     // dt_proj weights per lane held in registers (R <= 64); the rest are read late

// Activations and states written by earlier kernels are read at L2 (.cg): kernels overlap under programmatic
// launch, so an SM's L1 may still hold a line of an earlier layer's or token's value.
template <typename T>
__device__ __forceinline__ float load_act(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return __ldcg(p);
  } else if constexpr (std::is_same_v<T, __half>) {
    return __half2float(__ushort_as_half(__ldcg(reinterpret_cast<const unsigned short*>(p))));
  } else {
    return __bfloat162float(__ushort_as_bfloat16(__ldcg(reinterpret_cast<const unsigned short*>(p))));
  }
}

constexpr int kNormPerThread = 4;  // norm weights per thread loaded in the prologue (M <= 4 · block size)

__device__ __forceinline__ void load_norm_weights(const float* w, int M, float (&pre)[kNormPerThread]) {
#pragma unroll
  for (int k = 0; k < kNormPerThread; ++k) {
    const int m = threadIdx.x + k * blockDim.x;
    pre[k] = m < M ? w[m] : 0.0f;
  }
}

// RMSNorm of the fp32 residual into xs (rounded to T, as prefill stores the normed activations); `pre` holds
// the first kNormPerThread of this thread's norm weights.
template <typename T>
__device__ __forceinline__ void norm_into(const float* hidden, const float* w, const float (&pre)[kNormPerThread],
                                          int M, float eps, float* xs, float* scratch) {
  const int step = blockDim.x;
  float ss = 0.0f;
#pragma unroll
  for (int k = 0; k < kNormPerThread; ++k) {
    const int m = threadIdx.x + k * step;
    if (m < M) {
      const float h = __ldcg(hidden + m);
      xs[m] = h;
      ss = fmaf(h, h, ss);
    }
  }
  for (int m = threadIdx.x + kNormPerThread * step; m < M; m += step) {
    const float h = __ldcg(hidden + m);
    xs[m] = h;
    ss = fmaf(h, h, ss);
  }
  const float total = block_sum(ss, scratch);
  const float scale = __fdiv_rn(1.0f, sqrtf(__fadd_rn(__fdiv_rn(total, static_cast<float>(M)), eps)));
#pragma unroll
  for (int k = 0; k < kNormPerThread; ++k) {
    const int m = threadIdx.x + k * step;
    if (m < M) xs[m] = round_to<T>(__fmul_rn(pre[k], __fmul_rn(xs[m], scale)));
  }
  for (int m = threadIdx.x + kNormPerThread * step; m < M; m += step)
    xs[m] = round_to<T>(__fmul_rn(w[m], __fmul_rn(xs[m], scale)));
  __syncthreads();
}

struct InProjArgs {
  const float* hidden;
  const float* norm_w;
  float eps;
  int M, D, K, P, S;  // S: the partials' row stride
  const void* W;      // [2D, M]
  bool vec;
  const float* conv_w;
  const float* conv_b;
  void* conv_state;
  const void* x_proj_t;  // [D, P]
  void* u;
  void* z;
  float* partials;  // [gridDim.x, S]
  bool early;
};

template <typename T, int kVpl>
__global__ void __launch_bounds__(32 * kInProjWarps) in_proj_kernel(const InProjArgs a) {
  extern __shared__ float4 xs4[];
  float* xs = reinterpret_cast<float*>(xs4);
  __shared__ float scratch[32];
  __shared__ float u_blk[kInProjWarps];
  if (a.early) pdl_trigger();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int d0 = blockIdx.x * kInProjWarps;
  const int d = d0 + warp;
  const bool valid = d < a.D;
  const int dd = valid ? d : a.D - 1;
  const T* W = static_cast<const T*>(a.W);

  // Prologue: the x and z rows of channel dd, its conv taps and window, and this block's x_proj columns.
  StagedRows<T, 2, kVpl> rows(W, dd, a.D, 2 * a.D, a.M);
  if (a.vec) rows.load(0);
  T* window = static_cast<T*>(a.conv_state) + static_cast<std::int64_t>(dd) * (a.K - 1);
  float taps[kMaxDecodeConv], win[kMaxDecodeConv];
#pragma unroll
  for (int k = 0; k < kMaxDecodeConv; ++k) {
    taps[k] = k < a.K - 1 ? a.conv_w[dd * a.K + k] : 0.0f;
    win[k] = k < a.K - 1 ? load_act<T>(window + k) : 0.0f;
  }
  const float tap_last = a.conv_w[dd * a.K + a.K - 1];
  const float bias = a.conv_b[dd];
  float norm_w[kNormPerThread];
  load_norm_weights(a.norm_w, a.M, norm_w);
  const T* xt = static_cast<const T*>(a.x_proj_t);
  const int p0 = threadIdx.x;
  float xw[kInProjWarps];
#pragma unroll
  for (int c = 0; c < kInProjWarps; ++c)
    xw[c] = p0 < a.P && d0 + c < a.D ? to_f32<T>(xt[static_cast<std::int64_t>(d0 + c) * a.P + p0]) : 0.0f;
  pdl_wait();
  if (!a.early) pdl_trigger();

  norm_into<T>(a.hidden, a.norm_w, norm_w, a.M, a.eps, xs, scratch);
  float acc[2];
  if (a.vec) {
    rows.dot(xs, acc);
  } else {
    float one[1];
    warp_dot_rows<T, 1>(W, dd, 2 * a.D, a.M, xs, one);
    acc[0] = one[0];
    warp_dot_rows<T, 1>(W, a.D + dd, 2 * a.D, a.M, xs, one);
    acc[1] = one[0];
  }
  if (lane == 0) {
    float uf = 0.0f;
    if (valid) {
      const float xv = round_to<T>(acc[0]);
      float c = bias;
#pragma unroll
      for (int k = 0; k < kMaxDecodeConv; ++k)
        if (k < a.K - 1) c = fmaf(taps[k], win[k], c);
      c = fmaf(tap_last, xv, c);
#pragma unroll
      for (int k = 0; k + 1 < kMaxDecodeConv; ++k)
        if (k < a.K - 2) window[k] = from_f32<T>(win[k + 1]);
      if (a.K > 1) window[a.K - 2] = from_f32<T>(xv);
      const T ut = from_f32<T>(silu(c));
      static_cast<T*>(a.u)[d] = ut;
      static_cast<T*>(a.z)[d] = from_f32<T>(acc[1]);
      uf = to_f32<T>(ut);
    }
    u_blk[warp] = uf;
  }
  __syncthreads();
  // This block's channels' share of x_dbl = x_proj · u, in channel order (padding columns zero).
  float* out = a.partials + static_cast<std::int64_t>(blockIdx.x) * a.S;
  for (int p = threadIdx.x; p < a.S; p += blockDim.x) {
    float s = 0.0f;
    if (p < a.P) {
#pragma unroll
      for (int c = 0; c < kInProjWarps; ++c) {
        const float w = p == p0 ? xw[c]
                        : d0 + c < a.D ? to_f32<T>(xt[static_cast<std::int64_t>(d0 + c) * a.P + p])
                                       : 0.0f;
        s = fmaf(w, u_blk[c], s);
      }
    }
    out[p] = s;
  }
}

struct SsmArgs {
  const float* partials;
  int n_partials;
  int P, S, R, D;
  const void* dt_w;
  const float* dt_b;
  const float* A_log;
  const float* D_skip;
  const void* u;
  const void* z;
  float* h;
  void* y;
  bool early;
};

// 16 lanes per channel, one state each; 16 channels per block.
template <typename T>
__global__ void __launch_bounds__(256) ssm_step_kernel(const SsmArgs a) {
  extern __shared__ float4 smem4[];
  float* xd = reinterpret_cast<float*>(smem4);  // [S] dt_low | B | C (rounded to T, as prefill stores x_dbl)
  float4* part = smem4 + a.S / 4;               // [groups, S / 4]
  if (a.early) pdl_trigger();
  const int n = threadIdx.x % kStates;
  const int d_raw = blockIdx.x * (blockDim.x / kStates) + threadIdx.x / kStates;
  const bool valid = d_raw < a.D;
  const int d = valid ? d_raw : a.D - 1;  // idle lanes still take part in the shuffles

  // Prologue: this channel's dt_proj row share, A, biases and state.
  const T* wd = static_cast<const T*>(a.dt_w) + static_cast<std::int64_t>(d) * a.R;
  float wdt[kDtPerLane];
#pragma unroll
  for (int k = 0; k < kDtPerLane; ++k) wdt[k] = n + kStates * k < a.R ? to_f32<T>(wd[n + kStates * k]) : 0.0f;
  const float a2 = __fmul_rn(-expf(a.A_log[d * kStates + n]), kLog2e);
  const float dt_bias = a.dt_b[d];
  const float d_skip = a.D_skip[d];
  float* hp = a.h + static_cast<std::int64_t>(d) * kStates + n;
  const float h_prev = __ldcg(hp);
  pdl_wait();
  if (!a.early) pdl_trigger();
  const float uu = load_act<T>(static_cast<const T*>(a.u) + d);
  const float zz = load_act<T>(static_cast<const T*>(a.z) + d);

  // x_dbl = Σ_b partials[b] in a fixed order: group g sums rows g, g + groups, … in turn (16-byte loads), then
  // the groups are added in order.
  const int s4 = a.S / 4;
  const int groups = static_cast<int>(blockDim.x) / s4 > 0 ? static_cast<int>(blockDim.x) / s4 : 1;
  const auto* p4 = reinterpret_cast<const float4*>(a.partials);
  for (int i = threadIdx.x; i < groups * s4; i += blockDim.x) {
    const int g = i / s4, c = i % s4;
    float4 s = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 16
    for (int b = g; b < a.n_partials; b += groups) {
      const float4 v = __ldcg(p4 + static_cast<std::int64_t>(b) * s4 + c);
      s.x += v.x;
      s.y += v.y;
      s.z += v.z;
      s.w += v.w;
    }
    part[i] = s;
  }
  __syncthreads();
  const float* part_f = reinterpret_cast<const float*>(part);
  for (int p = threadIdx.x; p < a.P; p += blockDim.x) {
    float s = part_f[p];
    for (int g = 1; g < groups; ++g) s += part_f[g * a.S + p];
    xd[p] = round_to<T>(s);
  }
  __syncthreads();

  // dt = dt_proj · dt_low: each lane a strided share, then the 16 lanes' xor tree (equal bits on every lane).
  float dt = 0.0f;
#pragma unroll
  for (int k = 0; k < kDtPerLane; ++k)
    if (n + kStates * k < a.R) dt = fmaf(wdt[k], xd[n + kStates * k], dt);
  for (int r = n + kStates * kDtPerLane; r < a.R; r += kStates) dt = fmaf(to_f32<T>(wd[r]), xd[r], dt);
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) dt += __shfl_xor_sync(0xffffffffu, dt, o);
  dt = round_to<T>(dt);
  // KERNELS.md §1.3 steps 2-8, as the `seq` scan does them.
  const float x = __fadd_rn(dt, dt_bias);
  const float delta = softplus_f32(x);
  const float du = __fmul_rn(delta, uu);
  const float da = ex2_approx(__fmul_rn(delta, a2));
  const float h = __fmaf_rn(da, h_prev, __fmul_rn(du, xd[a.R + n]));
  float y = __fmul_rn(h, xd[a.R + kStates + n]);
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) y = __fadd_rn(y, __shfl_xor_sync(0xffffffffu, y, o));
  y = __fmaf_rn(d_skip, uu, y);
  const float out = __fmul_rn(y, gate_f32(zz));
  if (!valid) return;
  *hp = h;
  if (n == 0) static_cast<T*>(a.y)[d] = from_f32<T>(out);
}

struct OutProjArgs {
  const void* y;  // [D]
  const void* W;  // [M, D]
  int M, D;
  bool vec;
  float* hidden;
  bool early;
};

// One warp per output row.
template <typename T, int kVpl>
__global__ void __launch_bounds__(32 * kOutProjWarps) out_proj_kernel(const OutProjArgs a) {
  extern __shared__ float4 xs4[];
  float* xs = reinterpret_cast<float*>(xs4);
  if (a.early) pdl_trigger();
  const int row = blockIdx.x * kOutProjWarps + threadIdx.x / 32;
  const T* W = static_cast<const T*>(a.W);
  StagedRows<T, 1, kVpl> rows(W, row, 1, a.M, a.D);
  if (a.vec) rows.load(0);
  pdl_wait();
  if (!a.early) pdl_trigger();
  // The residual is read now so that its latency overlaps the staging of y.
  const float residual = row < a.M && threadIdx.x % 32 == 0 ? __ldcg(a.hidden + row) : 0.0f;

  const T* y = static_cast<const T*>(a.y);
  if (a.vec) {
    constexpr int kV = Vec<T>::kElems;
    const auto* y4 = reinterpret_cast<const uint4*>(y);
#pragma unroll 4
    for (int i = threadIdx.x; i < a.D / kV; i += blockDim.x) {
      float v[kV];
      Vec<T>::unpack(__ldcg(y4 + i), v);
#pragma unroll
      for (int q = 0; q < kV / 4; ++q)
        xs4[i * (kV / 4) + q] = make_float4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]);
    }
  } else {
    for (int i = threadIdx.x; i < a.D; i += blockDim.x) xs[i] = load_act<T>(y + i);
  }
  __syncthreads();
  if (row >= a.M) return;
  float acc[1];
  if (a.vec) {
    rows.dot(xs, acc);
  } else {
    warp_dot_rows<T, 1>(W, row, a.M, a.D, xs, acc);
  }
  if (threadIdx.x % 32 == 0) a.hidden[row] = __fadd_rn(residual, acc[0]);
}

struct HeadArgs {
  const float* hidden;
  const float* norm_w;
  float eps;
  int M;
  const void* W;
  std::int64_t rows;
  bool vec;
  float* logits;
  bool early;
};

template <typename T, int kVpl>
__global__ void __launch_bounds__(32 * kHeadWarps) head_kernel(const HeadArgs a) {
  extern __shared__ float4 xs4[];
  float* xs = reinterpret_cast<float*>(xs4);
  __shared__ float scratch[32];
  if (a.early) pdl_trigger();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t row0 = (static_cast<std::int64_t>(blockIdx.x) * kHeadWarps + warp) * kHeadRows;
  const T* W = static_cast<const T*>(a.W);
  // Blocks past the first wave find the wait satisfied: their weight loads still overlap the norm.
  StagedRows<T, kHeadRows, kVpl> rows(W, row0, 1, a.rows, a.M);
  if (a.vec && row0 < a.rows) rows.load(0);
  float norm_w[kNormPerThread];
  load_norm_weights(a.norm_w, a.M, norm_w);
  pdl_wait();
  if (!a.early) pdl_trigger();
  norm_into<T>(a.hidden, a.norm_w, norm_w, a.M, a.eps, xs, scratch);
  if (row0 >= a.rows) return;
  float acc[kHeadRows];
  if (a.vec) {
    rows.dot(xs, acc);
  } else {
    warp_dot_rows<T, kHeadRows>(W, row0, a.rows, a.M, xs, acc);
  }
#pragma unroll
  for (int r = 0; r < kHeadRows; ++r)
    if (lane == r && row0 + r < a.rows) a.logits[row0 + r] = acc[r];
}

template <typename T>
__global__ void embed_one_kernel(const std::int32_t* id, const T* emb, int M, float* hidden, bool early) {
  if (early) pdl_trigger();
  pdl_wait();
  if (!early) pdl_trigger();
  const T* row = emb + static_cast<std::int64_t>(*id) * M;
  for (int m = blockIdx.x * blockDim.x + threadIdx.x; m < M; m += gridDim.x * blockDim.x) hidden[m] = to_f32<T>(row[m]);
}

template <typename T>
bool vec_ok(std::int64_t n) {
  return n % Vec<T>::kElems == 0;
}

unsigned blocks_for(std::int64_t n, std::int64_t per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

int partial_rows(const DecodeShape& s) { return static_cast<int>(blocks_for(s.D, kInProjWarps)); }
int partial_stride(const DecodeShape& s) { return (s.R + 2 * kStates + 3) / 4 * 4; }
std::size_t floats_bytes(std::int64_t n) { return static_cast<std::size_t>((n + 3) / 4 * 4) * sizeof(float); }

// Where a kernel lets its successor start (its prologue: the weight loads). fp32: at entry, so that kernels
// become resident as far ahead as the register file allows (about one layer of 130m/370m weights) and the
// weight stream runs ahead of the dependent chains. Half precision: after the wait, one kernel ahead; its
// smaller footprint lets early triggering run several layers ahead, whose loads then delay the current
// layer's (H200, mamba-130m/370m: the entry trigger took fp32 from 295/785 to 277/748 µs per token and bf16
// from 240/679 to 273/748).
bool trigger_at_entry(const DecodeShape& s) { return s.io == IoType::f32; }

}  // namespace

std::size_t decode_partials_bytes(const DecodeShape& s) {
  return static_cast<std::size_t>(partial_rows(s)) * static_cast<std::size_t>(partial_stride(s)) * sizeof(float);
}

void launch_decode_embed(const std::int32_t* id, const void* embeddings, const DecodeShape& s, float* hidden,
                         cudaStream_t stream) {
  dispatch_io(s.io, [&]<typename T>() {
    launch_pdl(embed_one_kernel<T>, blocks_for(s.M, 256), 256, 0, stream, "embed_one_kernel launch", id,
               static_cast<const T*>(embeddings), s.M, hidden, trigger_at_entry(s));
  });
}

void launch_decode_layer(const DecodeLayer& l, const DecodeShape& s, const DecodeScratch& x, cudaStream_t stream) {
  if (s.K > kMaxDecodeConv)
    throw_usage_error("CUDA decode: d_conv " + std::to_string(s.K) + " is above the supported " +
                      std::to_string(kMaxDecodeConv));
  const bool early = trigger_at_entry(s);
  dispatch_io(s.io, [&]<typename T>() {
    const int P = s.R + 2 * kStates, S = partial_stride(s);
    InProjArgs a;
    a.hidden = x.hidden;
    a.norm_w = l.norm;
    a.eps = s.eps;
    a.M = s.M;
    a.D = s.D;
    a.K = s.K;
    a.P = P;
    a.S = S;
    a.W = l.in_proj;
    a.vec = vec_ok<T>(s.M);
    a.conv_w = l.conv_w;
    a.conv_b = l.conv_b;
    a.conv_state = l.conv_state;
    a.x_proj_t = l.x_proj_t;
    a.u = x.u;
    a.z = x.z;
    a.partials = x.partials;
    a.early = early;
    dispatch_vpl<8>(s.M / Vec<T>::kElems, [&]<int V>() {
      launch_pdl(in_proj_kernel<T, V>, static_cast<unsigned>(partial_rows(s)), 32 * kInProjWarps, floats_bytes(s.M),
                 stream, "in_proj_kernel launch", a);
    });

    SsmArgs m;
    m.partials = x.partials;
    m.n_partials = partial_rows(s);
    m.P = P;
    m.S = S;
    m.R = s.R;
    m.D = s.D;
    m.dt_w = l.dt_proj_w;
    m.dt_b = l.dt_proj_b;
    m.A_log = l.A_log;
    m.D_skip = l.D_skip;
    m.u = x.u;
    m.z = x.z;
    m.h = l.ssm_state;
    m.y = x.y;
    m.early = early;
    const int s4 = S / 4;
    const int groups = 256 / s4 > 0 ? 256 / s4 : 1;
    launch_pdl(ssm_step_kernel<T>, blocks_for(s.D, 256 / kStates), 256,
               static_cast<std::size_t>(S + 4 * groups * s4) * sizeof(float), stream, "ssm_step_kernel launch", m);

    OutProjArgs o;
    o.y = x.y;
    o.W = l.out_proj;
    o.M = s.M;
    o.D = s.D;
    o.vec = vec_ok<T>(s.D);
    o.hidden = x.hidden;
    o.early = early;
    dispatch_vpl<16>(s.D / Vec<T>::kElems, [&]<int V>() {
      launch_pdl(out_proj_kernel<T, V>, blocks_for(s.M, kOutProjWarps), 32 * kOutProjWarps, floats_bytes(s.D), stream,
                 "out_proj_kernel launch", o);
    });
  });
}

void launch_decode_head(const float* hidden, const float* norm_f, const void* head, const DecodeShape& s,
                        float* logits, cudaStream_t stream) {
  dispatch_io(s.io, [&]<typename T>() {
    HeadArgs a;
    a.hidden = hidden;
    a.norm_w = norm_f;
    a.eps = s.eps;
    a.M = s.M;
    a.W = head;
    a.rows = s.V;
    a.vec = vec_ok<T>(s.M);
    a.logits = logits;
    a.early = trigger_at_entry(s);
    dispatch_vpl<8>(s.M / Vec<T>::kElems, [&]<int V>() {
      launch_pdl(head_kernel<T, V>, blocks_for(s.V, kHeadWarps * kHeadRows), 32 * kHeadWarps, floats_bytes(s.M),
                 stream, "head_kernel launch", a);
    });
  });
}

}  // namespace corey::cuda
