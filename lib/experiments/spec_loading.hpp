#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.hpp"

namespace corey::experiments {

inline constexpr std::string_view experiment_names[] = {"costmodel", "kernel-sweep", "routed-ablation", "mixed-regime"};

// load_spec with every implemented tier's param schema.
spec::Spec load_spec_for(const std::string& path, const std::vector<std::string>& set_overrides,
                         std::string_view experiment_from_cli);

// A Spec rebuilt from the resolved document embedded in a results file (for merge and report), without
// source positions.
spec::Spec spec_from_resolved(const Json& resolved, const std::string& origin);

}  // namespace corey::experiments
