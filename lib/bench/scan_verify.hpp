#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/scan_inputs.hpp"
#include "core/json.hpp"
#include "scan/thread_pool.hpp"

namespace corey::bench {

// The fp64 oracle's output and final state on the first `channels` channels of every batch row.
struct OracleSlice {
  std::int64_t channels = 0;
  std::vector<double> out;  // (B, channels, L)
  std::vector<double> hT;   // (B, channels, N)
};

OracleSlice oracle_slice(ScanInputs& inputs, std::int64_t max_channels, scan::ThreadPool* pool);

// Accuracy gate against the fp64 oracle: |got − want| ≤ atol + rtol·|want| (KERNELS.md §8: fp32 held to
// 1e-5 as a gate; fp16/bf16 I/O at upstream's test tolerances).
struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-5;
};
Tolerance oracle_tolerance(DType io_dtype);

// A record's "verify" block (HARNESS.md §3.3).
struct VerifyResult {
  std::string reference;                   // "oracle-fp64" (+ "self-single" when bitwise is checked)
  std::optional<bool> bitwise_equal;       // vs the same implementation's single call
  std::optional<bool> differs_from_exact;  // reset mode: must be true
  double max_abs_err = 0.0;
  double max_rel_err = 0.0;
  std::int64_t channels_checked = 0;
  bool finite = true;
  bool passed = true;
  std::string reason;  // why it failed, empty when passed

  Json to_json() const;
};

// A snapshot of what a scan call wrote: the output bytes (I/O dtype) and the final state.
struct ScanOutput {
  std::vector<unsigned char> out;
  std::vector<float> hT;
};
ScanOutput snapshot(const ScanInputs& inputs);

// Checks `run` (a finished call on `inputs`) for finiteness and against the oracle slice; `exact` is the
// single call's output when bitwise equality (inkernel/launch/single) or a difference (reset) is checked.
VerifyResult verify_output(const ScanInputs& inputs, const ScanOutput& run, const OracleSlice& oracle,
                           const Tolerance& tolerance, const ScanOutput* exact, bool expect_bitwise,
                           bool expect_different);

}  // namespace corey::bench
