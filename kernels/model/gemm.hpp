#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda_backend.hpp"
#include "scan_params.hpp"

namespace corey::cuda {

// cuBLAS on the backend stream of one device, column-major like cuBLAS itself. Inputs in `io`, accumulation
// in fp32 (CUBLAS_COMPUTE_32F: no TF32), output in `io` or fp32; C = A·B + beta·C.
class Gemm {
 public:
  explicit Gemm(cudaStream_t stream);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  void run(bool trans_a, bool trans_b, int m, int n, int k, const void* A, int lda, const void* B, int ldb, void* C,
           int ldc, IoType io, bool c_f32, float beta = 0.0f) const;

 private:
  cublasHandle_t handle_ = nullptr;
  // cuBLAS' workspace, owned here so that a GEMM captured into a CUDA Graph allocates nothing.
  DeviceBuffer workspace_;
};

}  // namespace corey::cuda
