#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "spec/expression.hpp"
#include "spec/spec.hpp"

namespace corey::spec {

// One dimension of the product: a parameter (dotted path) or a named zip whose rows set several parameters.
struct SweepAxis {
  std::string name;                  // param path (product) or zip name
  std::string pointer;               // "/sweep/product/chunk" or "/sweep/zip/shape"
  std::vector<std::string> members;  // the param paths one row sets (product: just `name`)
  std::vector<std::vector<Json>> rows;  // rows[i][m] is member m's value in row i
  bool is_zip = false;
};

struct SweepInclude {
  std::string pointer;  // "/sweep/include/3"
  std::vector<std::pair<std::string, Json>> assignments;  // param path -> value, zip rows already resolved
};

struct SweepSample {
  std::uint64_t count = 0;
  std::uint64_t seed = 0;
};

// The sweep section, checked and with every value list generated and typed by the params schema.
struct SweepDefinition {
  std::vector<SweepAxis> axes;  // product axes in declared order, then zip dimensions in declared order
  std::vector<SweepInclude> includes;
  std::vector<Expression> where;
  std::optional<SweepSample> sample;
};

// Parses spec.sweep. Throws corey::Error (spec) at the offending position: unknown or mistyped parameters,
// malformed value generators, zip members of unequal length, include rows out of range, expression syntax.
SweepDefinition parse_sweep(const Spec& spec);

// The values a generator or list stands for: a list as is, {pow2: [a, b]}, {range: [a, b, step]} (inclusive,
// step defaults to 1), {geom: [a, b, n]} (n values from a to b with a constant ratio; integers when a and b
// are). `label` names the dimension in messages.
std::vector<Json> sweep_values(const Json& spec_value, const std::string& label, const SourcePos& where);

}  // namespace corey::spec
