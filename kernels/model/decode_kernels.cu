#include "decode_kernels.hpp"

#include "cuda_check.hpp"
#include "model_device.cuh"

namespace corey::cuda {
namespace {

using namespace model_device;

constexpr int kStates = 16;
constexpr float kLog2e = 1.4426950408889634f;
constexpr int kInProjWarps = 8;  // channels per in_proj block
constexpr int kHeadRows = 4;     // head rows per warp

__device__ __forceinline__ float ex2_approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Programmatic dependent launch (sm_90): wait for the preceding kernel's results; let the next kernel start
// its prologue. Triggering only after the wait keeps at most one kernel ahead prefetching into L2.
__device__ __forceinline__ void wait_then_release() {
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}

// Bulk prefetch of [p, p + bytes) into L2 (p 16-byte aligned, bytes a multiple of 16); a hint, never a fault.
__device__ __forceinline__ void prefetch_l2(const void* p, std::int64_t bytes) {
  constexpr std::int64_t kMax = 1 << 20;
  for (std::int64_t off = 0; off < bytes; off += kMax) {
    const unsigned n = static_cast<unsigned>(bytes - off < kMax ? bytes - off : kMax);
    asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(static_cast<const char*>(p) + off), "r"(n)
                 : "memory");
  }
}

template <typename T>
__device__ __forceinline__ void prefetch_rows(const T* W, std::int64_t row0, std::int64_t count, std::int64_t rows,
                                              int n) {
  if (row0 >= rows) return;
  if (row0 + count > rows) count = rows - row0;
  const std::int64_t bytes = count * n * static_cast<std::int64_t>(sizeof(T));
  if (bytes % 16 == 0 && (reinterpret_cast<std::uintptr_t>(W + row0 * n) % 16) == 0) prefetch_l2(W + row0 * n, bytes);
}

// RMSNorm of the fp32 residual into xs (rounded to T, as prefill stores the normed activations).
template <typename T>
__device__ __forceinline__ void norm_into(const float* hidden, const float* w, int M, float eps, float* xs,
                                          float* scratch) {
  float ss = 0.0f;
  for (int m = threadIdx.x; m < M; m += blockDim.x) ss = fmaf(hidden[m], hidden[m], ss);
  const float total = block_sum(ss, scratch);
  const float scale = __fdiv_rn(1.0f, sqrtf(__fadd_rn(__fdiv_rn(total, static_cast<float>(M)), eps)));
  for (int m = threadIdx.x; m < M; m += blockDim.x) xs[m] = round_to<T>(__fmul_rn(w[m], __fmul_rn(hidden[m], scale)));
  __syncthreads();
}

struct InProjArgs {
  const float* hidden;
  const float* norm_w;
  float eps;
  int M, D, K, P;
  const void* W;  // [2D, M]
  bool vec;
  const float* conv_w;
  const float* conv_b;
  void* conv_state;
  const void* x_proj_t;  // [D, P]
  void* u;
  void* z;
  float* partials;  // [gridDim.x, P]
};

template <typename T>
__global__ void __launch_bounds__(256) in_proj_kernel(const InProjArgs a) {
  extern __shared__ float xs[];
  __shared__ float scratch[32];
  __shared__ float u_blk[kInProjWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int d0 = blockIdx.x * kInProjWarps;
  const int d = d0 + warp;
  const bool valid = d < a.D;
  const int dd = valid ? d : a.D - 1;
  const T* W = static_cast<const T*>(a.W);
  if (lane == 0) {
    prefetch_rows(W, dd, 1, 2 * a.D, a.M);
    prefetch_rows(W, a.D + dd, 1, 2 * a.D, a.M);
  }
  if (threadIdx.x == 32 * kInProjWarps - 1)
    prefetch_rows(static_cast<const T*>(a.x_proj_t), d0, kInProjWarps, a.D, a.P);
  wait_then_release();

  norm_into<T>(a.hidden, a.norm_w, a.M, a.eps, xs, scratch);
  float acc[1];
  warp_dot_rows<T, 1>(W, dd, 2 * a.D, a.M, xs, a.vec, acc);
  const float xv = round_to<T>(acc[0]);
  warp_dot_rows<T, 1>(W, a.D + dd, 2 * a.D, a.M, xs, a.vec, acc);
  if (lane == 0) {
    float uf = 0.0f;
    if (valid) {
      T* st = static_cast<T*>(a.conv_state) + static_cast<std::int64_t>(d) * (a.K - 1);
      float c = a.conv_b[d];
      for (int k = 0; k < a.K - 1; ++k) c = fmaf(a.conv_w[d * a.K + k], to_f32<T>(st[k]), c);
      c = fmaf(a.conv_w[d * a.K + a.K - 1], xv, c);
      for (int k = 0; k + 1 < a.K - 1; ++k) st[k] = st[k + 1];
      if (a.K > 1) st[a.K - 2] = from_f32<T>(xv);
      const T ut = from_f32<T>(silu(c));
      static_cast<T*>(a.u)[d] = ut;
      static_cast<T*>(a.z)[d] = from_f32<T>(acc[0]);
      uf = to_f32<T>(ut);
    }
    u_blk[warp] = uf;
  }
  __syncthreads();
  // This block's channels' share of x_dbl = x_proj · u, in channel order.
  const T* xt = static_cast<const T*>(a.x_proj_t);
  for (int p = threadIdx.x; p < a.P; p += blockDim.x) {
    float s = 0.0f;
    for (int c = 0; c < kInProjWarps && d0 + c < a.D; ++c)
      s = fmaf(to_f32<T>(xt[static_cast<std::int64_t>(d0 + c) * a.P + p]), u_blk[c], s);
    a.partials[static_cast<std::int64_t>(blockIdx.x) * a.P + p] = s;
  }
}

struct SsmArgs {
  const float* partials;
  int n_partials;
  int P, R, D;
  const void* dt_w;
  const float* dt_b;
  const float* A_log;
  const float* D_skip;
  const void* u;
  const void* z;
  float* h;
  void* y;
};

// 16 lanes per channel, one state each; 16 channels per block.
template <typename T>
__global__ void __launch_bounds__(256) ssm_step_kernel(const SsmArgs a) {
  extern __shared__ float smem[];
  float* xd = smem;              // [P] dt_low | B | C (rounded to T, as prefill stores x_dbl)
  float* part = smem + a.P;      // [groups, P]
  const int channels = blockDim.x / kStates;
  const int d_first = blockIdx.x * channels;
  if (threadIdx.x == 0) {
    const int count = d_first + channels <= a.D ? channels : a.D - d_first;
    prefetch_rows(static_cast<const T*>(a.dt_w), d_first, count, a.D, a.R);
  }
  wait_then_release();

  // x_dbl[p] = Σ_b partials[b, p] in a fixed order: `groups` contiguous ranges of b, then the groups in order.
  const int groups = blockDim.x / a.P > 0 ? blockDim.x / a.P : 1;
  const int per = (a.n_partials + groups - 1) / groups;
  for (int i = threadIdx.x; i < groups * a.P; i += blockDim.x) {
    const int g = i / a.P, p = i % a.P;
    float s = 0.0f;
    const int b_end = (g + 1) * per < a.n_partials ? (g + 1) * per : a.n_partials;
#pragma unroll 8
    for (int b = g * per; b < b_end; ++b) s += a.partials[static_cast<std::int64_t>(b) * a.P + p];
    part[i] = s;
  }
  __syncthreads();
  for (int p = threadIdx.x; p < a.P; p += blockDim.x) {
    float s = part[p];
    for (int g = 1; g < groups; ++g) s += part[g * a.P + p];
    xd[p] = round_to<T>(s);
  }
  __syncthreads();

  const int n = threadIdx.x % kStates;
  const int d_raw = d_first + threadIdx.x / kStates;
  const bool valid = d_raw < a.D;
  const int d = valid ? d_raw : a.D - 1;  // idle lanes still take part in the shuffles
  const T* wd = static_cast<const T*>(a.dt_w) + static_cast<std::int64_t>(d) * a.R;
  float dt = 0.0f;
  for (int r = 0; r < a.R; ++r) dt = fmaf(to_f32<T>(wd[r]), xd[r], dt);
  dt = round_to<T>(dt);
  // KERNELS.md §1.3 steps 2-8, as the `seq` scan does them.
  const float x = __fadd_rn(dt, a.dt_b[d]);
  const float delta = x <= 20.0f ? log1pf(expf(x)) : x;
  const float uu = to_f32<T>(static_cast<const T*>(a.u)[d]);
  const float du = __fmul_rn(delta, uu);
  const float a2 = __fmul_rn(-expf(a.A_log[d * kStates + n]), kLog2e);
  const float da = ex2_approx(__fmul_rn(delta, a2));
  float* hp = a.h + static_cast<std::int64_t>(d) * kStates + n;
  const float h = __fmaf_rn(da, *hp, __fmul_rn(du, xd[a.R + n]));
  float y = __fmul_rn(h, xd[a.R + kStates + n]);
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) y = __fadd_rn(y, __shfl_xor_sync(0xffffffffu, y, o));
  y = __fmaf_rn(a.D_skip[d], uu, y);
  const float zz = to_f32<T>(static_cast<const T*>(a.z)[d]);
  const float out = __fmul_rn(y, __fdiv_rn(zz, __fadd_rn(1.0f, expf(-zz))));
  if (!valid) return;
  *hp = h;
  if (n == 0) static_cast<T*>(a.y)[d] = from_f32<T>(out);
}

template <typename T>
__global__ void __launch_bounds__(128) out_proj_kernel(const T* y, const T* W, int M, int D, bool vec, float* hidden) {
  extern __shared__ float xs[];
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (threadIdx.x % 32 == 0) prefetch_rows(W, row, 1, M, D);
  wait_then_release();
  for (int i = threadIdx.x; i < D; i += blockDim.x) xs[i] = to_f32<T>(y[i]);
  __syncthreads();
  if (row >= M) return;
  float acc[1];
  warp_dot_rows<T, 1>(W, row, M, D, xs, vec, acc);
  if (threadIdx.x % 32 == 0) hidden[row] = __fadd_rn(hidden[row], acc[0]);
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
};

template <typename T>
__global__ void __launch_bounds__(256) head_kernel(const HeadArgs a) {
  extern __shared__ float xs[];
  __shared__ float scratch[32];
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t row0 = (static_cast<std::int64_t>(blockIdx.x) * warps + warp) * kHeadRows;
  if (lane == 0) prefetch_rows(static_cast<const T*>(a.W), row0, kHeadRows, a.rows, a.M);
  wait_then_release();
  norm_into<T>(a.hidden, a.norm_w, a.M, a.eps, xs, scratch);
  if (row0 >= a.rows) return;
  float acc[kHeadRows];
  warp_dot_rows<T, kHeadRows>(static_cast<const T*>(a.W), row0, a.rows, a.M, xs, a.vec, acc);
#pragma unroll
  for (int r = 0; r < kHeadRows; ++r)
    if (lane == r && row0 + r < a.rows) a.logits[row0 + r] = acc[r];
}

template <typename T>
__global__ void embed_one_kernel(const std::int32_t* id, const T* emb, int M, float* hidden) {
  wait_then_release();
  const T* row = emb + static_cast<std::int64_t>(*id) * M;
  for (int m = blockIdx.x * blockDim.x + threadIdx.x; m < M; m += gridDim.x * blockDim.x) hidden[m] = to_f32<T>(row[m]);
}

template <typename T>
bool vec_ok(std::int64_t n) {
  return n % Vec<T>::kElems == 0;
}

unsigned blocks_for(std::int64_t n, std::int64_t per_block) { return static_cast<unsigned>((n + per_block - 1) / per_block); }

// Launches with the programmatic-stream-serialization attribute (captured into graphs as programmatic edges).
template <typename... Params, typename... Args>
void launch_pdl(void (*kernel)(Params...), unsigned blocks, unsigned threads, std::size_t smem, cudaStream_t stream,
                const char* what, Args&&... args) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(blocks);
  cfg.blockDim = dim3(threads);
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  check(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...), what);
}

}  // namespace

int decode_partial_blocks(int D) { return static_cast<int>(blocks_for(D, kInProjWarps)); }

void launch_decode_embed(const std::int32_t* id, const void* embeddings, const DecodeShape& s, float* hidden,
                         cudaStream_t stream) {
  dispatch_io(s.io, [&]<typename T>() {
    launch_pdl(embed_one_kernel<T>, blocks_for(s.M, 256), 256, 0, stream, "embed_one_kernel launch", id,
               static_cast<const T*>(embeddings), s.M, hidden);
  });
}

void launch_decode_layer(const DecodeLayer& l, const DecodeShape& s, const DecodeScratch& x, cudaStream_t stream) {
  dispatch_io(s.io, [&]<typename T>() {
    const int P = s.R + 2 * kStates;
    InProjArgs a;
    a.hidden = x.hidden;
    a.norm_w = l.norm;
    a.eps = s.eps;
    a.M = s.M;
    a.D = s.D;
    a.K = s.K;
    a.P = P;
    a.W = l.in_proj;
    a.vec = vec_ok<T>(s.M);
    a.conv_w = l.conv_w;
    a.conv_b = l.conv_b;
    a.conv_state = l.conv_state;
    a.x_proj_t = l.x_proj_t;
    a.u = x.u;
    a.z = x.z;
    a.partials = x.partials;
    launch_pdl(in_proj_kernel<T>, static_cast<unsigned>(decode_partial_blocks(s.D)), 32 * kInProjWarps,
               s.M * sizeof(float), stream, "in_proj_kernel launch", a);

    SsmArgs m;
    m.partials = x.partials;
    m.n_partials = decode_partial_blocks(s.D);
    m.P = P;
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
    const int groups = 256 / P > 0 ? 256 / P : 1;
    launch_pdl(ssm_step_kernel<T>, blocks_for(s.D, 16), 256, static_cast<std::size_t>(P + groups * P) * sizeof(float),
               stream, "ssm_step_kernel launch", m);

    launch_pdl(out_proj_kernel<T>, blocks_for(s.M, 4), 128, s.D * sizeof(float), stream, "out_proj_kernel launch",
               static_cast<const T*>(x.y), static_cast<const T*>(l.out_proj), s.M, s.D, vec_ok<T>(s.D), x.hidden);
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
    launch_pdl(head_kernel<T>, blocks_for(s.V, 8 * kHeadRows), 256, s.M * sizeof(float), stream,
               "head_kernel launch", a);
  });
}

}  // namespace corey::cuda
