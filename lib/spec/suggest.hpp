#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace corey::spec {

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions
// (typing "sampels" for "samples" is one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);

// "; did you mean 'samples'?" for the closest candidate within a typo's reach, else
// "; expected one of: a, b, c" (empty when there are no candidates).
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace corey::spec
