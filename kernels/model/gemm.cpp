#include "gemm.hpp"

#include <string>

#include "core/error.hpp"

namespace corey::cuda {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;  // NVIDIA's suggested size for Hopper

void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw Error(ErrorKind::environment, std::string("cuBLAS: ") + what + " failed: " + cublasGetStatusString(status));
}

cudaDataType_t data_type(IoType io) {
  switch (io) {
    case IoType::f16: return CUDA_R_16F;
    case IoType::bf16: return CUDA_R_16BF;
    case IoType::f32: break;
  }
  return CUDA_R_32F;
}

}  // namespace

Gemm::Gemm(cudaStream_t stream) {
  check_cublas(cublasCreate(&handle_), "cublasCreate");
  check_cublas(cublasSetStream(handle_, stream), "cublasSetStream");
  // The default math mode with CUBLAS_COMPUTE_32F keeps fp32 GEMMs in IEEE fp32 (TF32 is opt-in).
  check_cublas(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  workspace_ = DeviceBuffer(kWorkspaceBytes);
  check_cublas(cublasSetWorkspace(handle_, workspace_.data(), workspace_.bytes()), "cublasSetWorkspace");
}

Gemm::~Gemm() { cublasDestroy(handle_); }

void Gemm::run(bool trans_a, bool trans_b, int m, int n, int k, const void* A, int lda, const void* B, int ldb,
               void* C, int ldc, IoType io, bool c_f32, float beta) const {
  const float alpha = 1.0f;
  const cudaDataType_t t = data_type(io);
  check_cublas(cublasGemmEx(handle_, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                            &alpha, A, t, lda, B, t, ldb, &beta, C, c_f32 ? CUDA_R_32F : t, ldc, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
}

}  // namespace corey::cuda
