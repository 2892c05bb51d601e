#include "stats/mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "stats/finite_json.hpp"

namespace corey::stats {

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("Mann-Whitney U needs samples on both sides");
  // Pool (value, from_a) and rank it; a run of equal values shares the mean of its ranks.
  std::vector<std::pair<double, bool>> pooled;
  pooled.reserve(a.size() + b.size());
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& l, const auto& r) { return l.first < r.first; });

  const double n = static_cast<double>(pooled.size());
  double rank_sum_a = 0;
  double tie_term = 0;  // Σ (t³ − t) over runs of t tied values
  for (std::size_t begin = 0; begin < pooled.size();) {
    std::size_t end = begin + 1;
    while (end < pooled.size() && pooled[end].first == pooled[begin].first) ++end;
    const double t = static_cast<double>(end - begin);
    const double mean_rank = static_cast<double>(begin + end + 1) / 2.0;  // ranks begin+1 .. end
    for (std::size_t i = begin; i < end; ++i) {
      if (pooled[i].second) rank_sum_a += mean_rank;
    }
    tie_term += t * t * t - t;
    begin = end;
  }

  MannWhitney r;
  r.n_a = a.size();
  r.n_b = b.size();
  const double na = static_cast<double>(r.n_a);
  const double nb = static_cast<double>(r.n_b);
  r.u = rank_sum_a - na * (na + 1.0) / 2.0;
  const double variance = na * nb / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
  if (!(variance > 0)) {
    r.z = 0;
    r.p_value = 1;
    return r;
  }
  r.z = std::max(0.0, (std::fabs(r.u - na * nb / 2.0) - 0.5) / std::sqrt(variance));
  // 2·(1 − Φ(z)) = erfc(z/√2), evaluated without cancellation for large z.
  r.p_value = std::min(1.0, std::erfc(r.z / std::sqrt(2.0)));
  return r;
}

Json MannWhitney::to_json() const {
  Json j = Json::object();
  j["method"] = "normal_approx_tie_corrected";
  j["n_a"] = n_a;
  j["n_b"] = n_b;
  j["u"] = finite_or_null(u);
  j["z"] = finite_or_null(z);
  j["p_value"] = finite_or_null(p_value);
  if (small_sample()) j["warning"] = "fewer than 9 samples on a side: the normal approximation is rough";
  return j;
}

}  // namespace corey::stats
