#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "bench/scan_inputs.hpp"
#include "bench/scan_verify.hpp"
#include "entropy/stats_op.hpp"
#include "scan/scan_op.hpp"

namespace corey::bench {

// The device-side routing of one timed call: statistics on u, the rule's chunk written where the scan reads
// it, and the scan — with no host round trip in between.
struct RoutedTiming {
  double total_s = 0.0;  // statistics + choice + scan
  double stats_s = 0.0;  // statistics + choice alone
};

// Runs the scan of one ScanInputs problem on a backend (ARCHITECTURE.md §3): the CPU works on the inputs in
// place, a device backend on its own copies. The kernel-sweep tier drives every backend through this.
class ScanExecutor {
 public:
  virtual ~ScanExecutor() = default;
  virtual std::string_view impl() const = 0;        // "cpu", "seq"
  virtual std::string_view timer_name() const = 0;  // "steady_clock", "cuda_event"
  virtual std::string_view measure_mode() const = 0;  // "cpu", "cold"
  virtual bool flushes_l2() const = 0;
  // Binds to `inputs` (uploads them for a device); called again whenever the inputs change.
  virtual void load(ScanInputs& inputs) = 0;
  virtual std::string unsupported_reason(const scan::ChunkConfig& chunk) const = 0;
  // `launch` mode replayed as a CUDA Graph captured once per (problem, Q); false = plain launches.
  virtual void set_launch_graph(bool enabled) = 0;
  // One complete call (synchronized), returning what the implementation reports it did.
  virtual scan::ChunkReport run(const scan::ChunkConfig& chunk) = 0;
  // The output and final state the last run() wrote, in host memory.
  virtual ScanOutput output() = 0;
  // One timing sample of the scan alone, in seconds (cold: the L2 is flushed first where the backend can).
  virtual double timed_run_s(const scan::ChunkConfig& chunk) = 0;
  // The statistic of u and the rule's chunk, computed by this backend.
  virtual entropy::ChunkChoice choose_chunk(const entropy::Statistic& statistic, const entropy::ChunkRule& rule) = 0;
  // Device-side routing (statistics → chunk in device memory → inkernel scan reading it); empty reason when
  // supported. The report of the routed scan is returned through `report`.
  virtual std::string routed_unsupported_reason() const = 0;
  // Measured device ceilings for the floors of KERNELS.md §9: {"hbm_Bps" (device-to-device copy, read +
  // write), "ex2_per_s" (SMs × 16 MUFU ex2 per clock × clock), "clock_hz"}; null on the CPU.
  virtual Json ceilings() = 0;
  virtual RoutedTiming timed_routed_run(const entropy::Statistic& statistic, const entropy::ChunkRule& rule,
                                        scan::ChunkReport* report) = 0;
};

// The CPU backend (impl "cpu"): CpuScan and CpuStats on the host buffers, steady-clock timing.
std::unique_ptr<ScanExecutor> make_cpu_scan_executor(unsigned threads);

}  // namespace corey::bench
