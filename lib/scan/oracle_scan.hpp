#pragma once
#include <vector>

#include "scan/scan_op.hpp"
#include "scan/thread_pool.hpp"

namespace corey::scan {

struct OracleResult {
  std::vector<double> out;  // (B, D, L), contiguous, gated when z is given
  std::vector<double> hT;   // (B, D, N), contiguous
};

// The plain loop of KERNELS.md §1.1 in fp64, from the same inputs (widened exactly): the accuracy reference
// for every implementation. Reads u, delta, z, B, C, A, D_skip, delta_bias, h0; ignores out, hT, checkpoints
// and chunking (the oracle is the exact scan).
OracleResult oracle_scan(const ScanProblem& problem, ThreadPool* pool = nullptr);

}  // namespace corey::scan
