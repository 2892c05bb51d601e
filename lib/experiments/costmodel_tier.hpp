#pragma once
#include <memory>

#include "core/json.hpp"
#include "costmodel/analytic_studies.hpp"
#include "costmodel/fusion_study.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

// Tier 1 (`corey costmodel`): the authors' prototype cost model and the analytic studies that need no GPU
// (PAPER.md §3, §4.5, §4.6). One point is one complete configuration; its record carries every table the
// authors' script writes (metrics.rows) and, when params.golden names a directory, the cell-by-cell
// comparison with the CSVs there (metrics.golden).
std::unique_ptr<Tier> make_costmodel_tier();

// The parameter conversions the tier uses, exposed for tests. They throw corey::Error (spec) positioned
// with spec.where_param(...) on a bad value.
costmodel::FusionStudyConfig fusion_config_from_params(const Json& params, const spec::Spec& spec);
costmodel::HrefAblationConfig href_config_from_params(const Json& params, const spec::Spec& spec);
costmodel::BinSensitivityConfig bin_config_from_params(const Json& params, const spec::Spec& spec);
costmodel::FusedKernelSweepConfig fused_config_from_params(const Json& params, const spec::Spec& spec);

}  // namespace corey::experiments
