#include "experiments/routed_equivalence.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "stats/finite_json.hpp"

namespace corey::experiments {

Json Equivalence::to_json() const {
  return Json{{"greedy_exact", greedy_exact},
              {"agreement", agreement},
              {"first_mismatch", first_mismatch ? Json(*first_mismatch) : Json(nullptr)},
              {"max_abs_logit_diff", stats::finite_or_null(max_abs_logit_diff)},
              {"argmax_agreement", argmax_agreement},
              {"bitwise_equal", bitwise_equal}};
}

Equivalence compare_outputs(const GenerateSample& reference, const GenerateSample& other) {
  Equivalence e;
  const auto& a_ids = reference.new_ids;
  const auto& b_ids = other.new_ids;
  const std::size_t n = std::min(a_ids.size(), b_ids.size());
  std::size_t same = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (a_ids[i] == b_ids[i]) {
      ++same;
    } else if (!e.first_mismatch) {
      e.first_mismatch = i;
    }
  }
  if (!e.first_mismatch && a_ids.size() != b_ids.size()) e.first_mismatch = n;
  e.greedy_exact = !e.first_mismatch;
  const std::size_t longest = std::max(a_ids.size(), b_ids.size());
  e.agreement = longest == 0 ? 1.0 : static_cast<double>(same) / static_cast<double>(longest);
  const std::size_t steps = std::min(reference.step_logits.size(), other.step_logits.size());
  std::size_t argmax_same = 0;
  for (std::size_t s = 0; s < steps; ++s) {
    const auto& a = reference.step_logits[s];
    const auto& b = other.step_logits[s];
    std::size_t best_a = 0, best_b = 0;
    for (std::size_t v = 0; v < a.size() && v < b.size(); ++v) {
      e.max_abs_logit_diff = std::max(e.max_abs_logit_diff, std::fabs(static_cast<double>(a[v]) - static_cast<double>(b[v])));
      if (std::bit_cast<std::uint32_t>(a[v]) != std::bit_cast<std::uint32_t>(b[v])) e.bitwise_equal = false;
      if (a[v] > a[best_a]) best_a = v;
      if (b[v] > b[best_b]) best_b = v;
    }
    if (a.size() != b.size()) e.bitwise_equal = false;
    if (best_a == best_b) ++argmax_same;
  }
  e.argmax_agreement = steps == 0 ? 1.0 : static_cast<double>(argmax_same) / static_cast<double>(steps);
  e.bitwise_equal = e.bitwise_equal && e.greedy_exact && reference.step_logits.size() == other.step_logits.size();
  return e;
}

}  // namespace corey::experiments
