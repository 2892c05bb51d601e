#include "bench/scan_verify.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "scan/oracle_scan.hpp"

namespace corey::bench {

OracleSlice oracle_slice(ScanInputs& inputs, std::int64_t max_channels, scan::ThreadPool* pool) {
  scan::ScanProblem p = inputs.problem();
  const std::int64_t k = std::min(max_channels, p.dim);
  // The first k channels: strides are explicit, so only the channel count (and per-channel groups) change.
  if (p.groups == p.dim) p.groups = k;
  p.dim = k;
  OracleSlice slice;
  slice.channels = k;
  scan::OracleResult r = scan::oracle_scan(p, pool);
  slice.out = std::move(r.out);
  slice.hT = std::move(r.hT);
  return slice;
}

Tolerance oracle_tolerance(DType io_dtype) {
  switch (io_dtype) {
    case DType::f16:
      return {5e-3, 3e-3};
    case DType::bf16:
      return {5e-2, 3e-2};
    default:
      return {1e-5, 1e-5};
  }
}

ScanOutput snapshot(const ScanInputs& inputs) {
  ScanOutput s;
  const auto* out = static_cast<const unsigned char*>(inputs.out());
  s.out.assign(out, out + inputs.out_bytes());
  s.hT = inputs.final_state();
  return s;
}

Json VerifyResult::to_json() const {
  Json j = Json::object();
  j["checked"] = true;
  j["reference"] = reference;
  j["bitwise_equal"] = bitwise_equal ? Json(*bitwise_equal) : Json(nullptr);
  if (differs_from_exact) j["differs_from_exact"] = *differs_from_exact;
  // Never NaN/Inf in JSON: a non-finite error is null and `finite` says why.
  j["max_abs_err"] = std::isfinite(max_abs_err) ? Json(max_abs_err) : Json(nullptr);
  j["max_rel_err"] = std::isfinite(max_rel_err) ? Json(max_rel_err) : Json(nullptr);
  j["channels_checked"] = channels_checked;
  j["finite"] = finite;
  j["passed"] = passed;
  if (!reason.empty()) j["reason"] = reason;
  return j;
}

VerifyResult verify_output(const ScanInputs& inputs, const ScanOutput& run, const OracleSlice& oracle,
                           const Tolerance& tol, const ScanOutput* exact, bool expect_bitwise, bool expect_different) {
  VerifyResult v;
  v.reference = "oracle-fp64";
  const DType dtype = inputs.spec().dtype;
  const std::int64_t B = inputs.batch(), D = inputs.dim(), L = inputs.seqlen();
  const std::int64_t N = inputs.spec().dstate;
  const std::int64_t n = B * D * L;
  for (std::int64_t i = 0; i < n && v.finite; ++i) v.finite = std::isfinite(load_as_f32(run.out.data(), dtype, i));
  for (float h : run.hT) v.finite = v.finite && std::isfinite(h);

  bool within = true;
  v.channels_checked = oracle.channels;
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t d = 0; d < oracle.channels; ++d) {
      for (std::int64_t t = 0; t < L; ++t) {
        const double got = load_as_f32(run.out.data(), dtype, (b * D + d) * L + t);
        const double want = oracle.out[static_cast<std::size_t>((b * oracle.channels + d) * L + t)];
        const double err = std::abs(got - want);
        v.max_abs_err = std::max(v.max_abs_err, std::isnan(err) ? INFINITY : err);
        if (want != 0.0) v.max_rel_err = std::max(v.max_rel_err, err / std::abs(want));
        if (!(err <= tol.atol + tol.rtol * std::abs(want))) within = false;
      }
      for (std::int64_t s = 0; s < N; ++s) {
        const double got = run.hT[static_cast<std::size_t>((b * D + d) * N + s)];
        const double want = oracle.hT[static_cast<std::size_t>((b * oracle.channels + d) * N + s)];
        if (!(std::abs(got - want) <= tol.atol + tol.rtol * std::abs(want))) within = false;
      }
    }
  }
  if (exact != nullptr) {
    v.reference += "+self-single";
    const bool same =
        run.out == exact->out && std::memcmp(run.hT.data(), exact->hT.data(), run.hT.size() * sizeof(float)) == 0;
    if (expect_bitwise) v.bitwise_equal = same;
    if (expect_different) v.differs_from_exact = !same;
  }
  if (expect_different) {
    // reset mode is wrong by design: it must differ from the exact scan, and need not match the oracle.
    v.passed = v.differs_from_exact.value_or(false);
    if (!v.passed) v.reason = "reset mode produced the exact scan's bits (state reset not in effect)";
    return v;
  }
  if (!v.finite) {
    v.passed = false;
    v.reason = "non-finite output or final state";
  } else if (!within) {
    v.passed = false;
    v.reason = "error against the fp64 oracle exceeds atol " + std::to_string(tol.atol) + " + rtol " +
               std::to_string(tol.rtol) + "·|ref|";
  } else if (v.bitwise_equal && !*v.bitwise_equal) {
    v.passed = false;
    v.reason = "output differs from the single call's bits";
  }
  return v;
}

}  // namespace corey::bench
