#include "scan/scan_op.hpp"

#include <string>

#include "core/error.hpp"

namespace corey::scan {

Strides3 contiguous_bdl(std::int64_t dim, std::int64_t seqlen) { return {dim * seqlen, seqlen, 1}; }

Strides4 contiguous_bgnl(std::int64_t groups, std::int64_t dstate, std::int64_t seqlen) {
  return {groups * dstate * seqlen, dstate * seqlen, seqlen, 1};
}

std::string_view to_string(ChunkMode mode) {
  switch (mode) {
    case ChunkMode::single:
      return "single";
    case ChunkMode::inkernel:
      return "inkernel";
    case ChunkMode::launch:
      return "launch";
    case ChunkMode::reset:
      return "reset";
    case ChunkMode::segmented:
      return "segmented";
  }
  return "?";
}

ChunkMode chunk_mode_from_string(std::string_view name) {
  for (ChunkMode mode :
       {ChunkMode::single, ChunkMode::inkernel, ChunkMode::launch, ChunkMode::reset, ChunkMode::segmented}) {
    if (to_string(mode) == name) return mode;
  }
  throw_usage_error("unknown chunk mode '" + std::string(name) +
                    "' (expected single, inkernel, launch, reset or segmented)");
}

void validate(const ScanProblem& p) {
  auto fail = [](const std::string& what) { throw_usage_error("scan problem: " + what); };
  if (p.batch <= 0 || p.dim <= 0 || p.seqlen <= 0 || p.dstate <= 0 || p.groups <= 0)
    fail("batch, dim, seqlen, dstate and groups must be positive");
  if (p.dstate > 256) fail("dstate " + std::to_string(p.dstate) + " exceeds 256");
  if (p.dim % p.groups != 0)
    fail("dim " + std::to_string(p.dim) + " is not a multiple of groups " + std::to_string(p.groups));
  if (p.io_dtype == DType::f64) fail("I/O dtype must be fp32, fp16 or bf16");
  if (!p.u || !p.delta || !p.B || !p.C || !p.A || !p.out) fail("u, delta, B, C, A and out are required");
}

std::int64_t chunk_count(std::int64_t seqlen, std::int64_t q) {
  if (q <= 0) return 0;
  return (seqlen + q - 1) / q;
}

Json ChunkReport::to_json() const {
  Json j = Json::object();
  j["impl"] = impl;
  j["chunk_mode"] = std::string(to_string(mode));
  j["q_requested"] = q_requested;
  j["q_effective"] = q_effective;
  j["chunks_expected"] = chunks_expected;
  j["chunks_executed"] = chunks_executed;
  j["tokens"] = tokens;
  j["recurrence_preserving"] = recurrence_preserving;
  j["bitwise_chunk_invariant"] = bitwise_chunk_invariant;
  j["honoured"] = honoured;
  return j;
}

}  // namespace corey::scan
