#pragma once
#include "scan/scan_op.hpp"
#include "scan/thread_pool.hpp"

namespace corey::scan {

// The CPU selective scan: a sequential-in-time fp32 loop in the canonical op order of KERNELS.md §1.3,
// multithreaded over (b, d) rows. Every mode except `segmented` and `reset` gives the same bits for every Q.
class CpuScan final : public ScanOp {
 public:
  explicit CpuScan(unsigned threads = 0);  // 0 = all hardware threads
  std::string_view impl() const override { return "cpu"; }
  std::string unsupported_reason(const ScanProblem& problem, const ChunkConfig& chunk) const override;
  ChunkReport run(const ScanProblem& problem, const ChunkConfig& chunk) override;
  unsigned threads() const { return pool_.size(); }

 private:
  ThreadPool pool_;
};

}  // namespace corey::scan
