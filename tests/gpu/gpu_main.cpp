// Entry point of the GPU test executables: without a CUDA device they skip (exit 77, SKIP_RETURN_CODE).
#include <cstdio>

#if __has_include(<catch2/catch_session.hpp>)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include "cuda_backend.hpp"

int main(int argc, char** argv) {
  if (corey::cuda::device_count() == 0) {
    std::puts("skipped: no CUDA device");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
