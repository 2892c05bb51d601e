#pragma once
#include <cstddef>
#include <optional>

#include "core/json.hpp"
#include "experiments/routed_generate.hpp"

namespace corey::experiments {

// Passive vs scheduled output of one prompt (F13): greedy ids and the logits each token was chosen from.
struct Equivalence {
  bool greedy_exact = true;
  std::optional<std::size_t> first_mismatch;  // first differing new-token position (or the shorter length)
  double agreement = 1.0;                     // equal ids / the longer id list
  double max_abs_logit_diff = 0.0;            // over the steps both kept
  double argmax_agreement = 1.0;              // steps whose logits have the same argmax
  bool bitwise_equal = true;                  // every kept logit identical bit for bit, and the ids too

  Json to_json() const;
};

Equivalence compare_outputs(const GenerateSample& reference, const GenerateSample& other);

}  // namespace corey::experiments
