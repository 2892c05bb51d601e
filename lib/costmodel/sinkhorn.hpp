#pragma once
#include <optional>
#include <vector>

#include "costmodel/histogram_entropy.hpp"

namespace corey::costmodel {

// The best fit of PAPER.md §3.8 (smallest L1 residual over the temperature multipliers).
struct SinkhornFit {
  double temperature = 0.0;
  double residual_l1 = 0.0;
  double residual_l2 = 0.0;
  double row_error = 0.0;
  double col_error = 0.0;
};

// Shared-range histograms of `before` and `after`, a Gaussian kernel over the bin centres normalized by
// `iterations` Sinkhorn sweeps, and the residual between the after-mass and the transported before-mass.
SinkhornFit fit_sinkhorn_proxy(const MatrixView& before, const MatrixView& after, int bins, int iterations = 200);
// The shared histogram range: [min − m, max + m] over both inputs, or nothing when min ≈ max.
std::optional<MinMax> sinkhorn_range(const MinMax& before_extent, const MinMax& after_extent);
// The fit from the two histograms over the shared range (counts with `bins` = counts.size() bins).
SinkhornFit fit_sinkhorn_counts(const std::vector<std::int64_t>& before, const std::vector<std::int64_t>& after,
                                const MinMax& range, int iterations = 200);
// The same with the extents of `before` and `after` known already.
SinkhornFit fit_sinkhorn_proxy(const MatrixView& before, const MatrixView& after, int bins, const MinMax& before_extent,
                               const MinMax& after_extent, int iterations = 200);

}  // namespace corey::costmodel
