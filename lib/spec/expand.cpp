#include <algorithm>
#include <limits>
#include <random>
#include <unordered_set>

#include "spec/paths.hpp"
#include "spec/spec.hpp"
#include "spec/sweep.hpp"

namespace corey::spec {

namespace {

struct Candidate {
  Json params;
  std::string origin;  // JSON pointer of what produced it, for "missing parameter" messages
};

// Uniform in [0, range) without modulo bias and without std::uniform_int_distribution, whose algorithm the
// standard leaves to each library (so its draws differ between platforms).
std::uint64_t bounded_draw(std::mt19937_64& rng, std::uint64_t range) {
  const std::uint64_t threshold = (std::numeric_limits<std::uint64_t>::max() - range + 1) % range;
  while (true) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % range;
  }
}

std::vector<std::size_t> sample_indices(std::size_t total, std::uint64_t count, std::uint64_t seed) {
  std::vector<std::size_t> indices(total);
  for (std::size_t i = 0; i < total; ++i) indices[i] = i;
  std::mt19937_64 rng(seed);
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(count, total));
  for (std::size_t i = 0; i < take; ++i) {
    const auto j = i + static_cast<std::size_t>(bounded_draw(rng, total - i));
    std::swap(indices[i], indices[j]);
  }
  indices.resize(take);
  std::sort(indices.begin(), indices.end());
  return indices;
}

std::vector<Candidate> product_points(const Spec& spec, const SweepDefinition& sweep) {
  std::vector<Candidate> out;
  if (sweep.axes.empty()) {
    // No dimensions: the spec's params are the one point, unless `include` lists the points explicitly.
    if (sweep.includes.empty()) out.push_back(Candidate{spec.params, "/params"});
    return out;
  }
  std::vector<std::size_t> counter(sweep.axes.size(), 0);
  while (true) {
    Candidate candidate{spec.params, "/sweep"};
    for (std::size_t a = 0; a < sweep.axes.size(); ++a) {
      const auto& axis = sweep.axes[a];
      for (std::size_t m = 0; m < axis.members.size(); ++m) {
        if (!set_dotted(candidate.params, axis.members[m], axis.rows[counter[a]][m])) {
          throw_spec_error("sweep dimension '" + axis.members[m] + "' addresses inside a parameter that is not a map",
                           spec.where(axis.pointer));
        }
      }
    }
    out.push_back(std::move(candidate));
    // Odometer: the last declared dimension varies fastest.
    std::size_t a = sweep.axes.size();
    while (a > 0) {
      --a;
      if (++counter[a] < sweep.axes[a].rows.size()) break;
      counter[a] = 0;
      if (a == 0) return out;
    }
  }
}

void check_required(const Spec& spec, const Candidate& candidate) {
  if (!spec.param_schema) return;
  for (const auto& info : *spec.param_schema) {
    if (candidate.params.contains(info.name)) continue;
    throw_spec_error("parameter '" + info.name + "' of experiment '" + spec.experiment +
                         "' has no default, so set it in params, sweep it, or give it in every include entry",
                     spec.where(candidate.origin));
  }
}

}  // namespace

Plan expand(const Spec& spec) {
  const SweepDefinition sweep = parse_sweep(spec);
  std::vector<Candidate> candidates = product_points(spec, sweep);
  for (const auto& include : sweep.includes) {
    Candidate candidate{spec.params, include.pointer};
    for (const auto& [path, value] : include.assignments) {
      if (!set_dotted(candidate.params, path, value)) {
        throw_spec_error("include: '" + path + "' addresses inside a parameter that is not a map",
                         spec.where(include.pointer));
      }
    }
    candidates.push_back(std::move(candidate));
  }

  Plan plan;
  std::vector<Point> planned;
  std::unordered_set<std::string> seen;
  for (auto& candidate : candidates) {
    check_required(spec, candidate);
    const std::string id = point_id(spec.experiment, candidate.params);
    if (!seen.insert(id).second) {
      ++plan.duplicates_removed;
      continue;
    }
    const auto failed = std::find_if(sweep.where.begin(), sweep.where.end(),
                                     [&](const Expression& e) { return !e.test(candidate.params); });
    if (failed != sweep.where.end()) {
      plan.skipped.push_back(SkippedPoint{id, std::move(candidate.params), "where: " + failed->text()});
      continue;
    }
    planned.push_back(Point{id, 0, std::move(candidate.params)});
  }

  if (sweep.sample && sweep.sample->count < planned.size()) {
    plan.sampled_from = planned.size();
    for (const std::size_t i : sample_indices(planned.size(), sweep.sample->count, sweep.sample->seed)) {
      plan.points.push_back(std::move(planned[i]));
    }
  } else {
    plan.points = std::move(planned);
  }
  for (std::size_t i = 0; i < plan.points.size(); ++i) plan.points[i].index = i;
  return plan;
}

}  // namespace corey::spec
