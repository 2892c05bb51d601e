#include "stats/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "stats/finite_json.hpp"
#include "stats/quantile.hpp"
#include "stats/uniform_index.hpp"

namespace corey::stats {

namespace {

void check_config(const BootstrapConfig& config) {
  if (!(config.level > 0.0 && config.level < 1.0)) {
    throw std::invalid_argument("bootstrap level must lie in (0, 1)");
  }
  if (config.resamples == 0) throw std::invalid_argument("bootstrap needs at least one resample");
}

BootstrapCi make_ci(std::string stat, const BootstrapConfig& config, double estimate, std::vector<double>& statistics) {
  const double alpha = 1.0 - config.level;
  BootstrapCi ci;
  ci.stat = std::move(stat);
  ci.level = config.level;
  ci.resamples = config.resamples;
  ci.seed = config.seed;
  ci.estimate = estimate;
  // A NaN statistic (0/0) has no place in an ordering: the interval is then undefined.
  if (std::any_of(statistics.begin(), statistics.end(), [](double x) { return std::isnan(x); })) {
    ci.lo = ci.hi = std::numeric_limits<double>::quiet_NaN();
    return ci;
  }
  std::sort(statistics.begin(), statistics.end());
  ci.lo = quantile_sorted(statistics, alpha / 2.0);
  ci.hi = quantile_sorted(statistics, 1.0 - alpha / 2.0);
  return ci;
}

void resample_into(std::mt19937_64& engine, std::span<const double> from, std::vector<double>& into) {
  into.resize(from.size());
  for (double& x : into) x = from[uniform_index(engine, from.size())];
}

}  // namespace

bool BootstrapCi::finite() const { return std::isfinite(estimate) && std::isfinite(lo) && std::isfinite(hi); }

Json BootstrapCi::to_json() const {
  char seed_hex[19];
  std::snprintf(seed_hex, sizeof seed_hex, "0x%016llx", static_cast<unsigned long long>(seed));
  Json j = Json::object();
  j["stat"] = stat;
  j["level"] = level;
  j["lo"] = finite_or_null(lo);
  j["hi"] = finite_or_null(hi);
  j["method"] = "percentile_bootstrap";
  j["estimate"] = finite_or_null(estimate);
  j["resamples"] = resamples;
  j["seed"] = seed_hex;
  if (pairing) j["pairing"] = *pairing == Pairing::paired ? "paired" : "unpaired";
  if (!finite()) j["reason"] = "non_finite";
  return j;
}

BootstrapCi bootstrap_mean_ci(std::span<const double> samples, const BootstrapConfig& config) {
  check_config(config);
  if (samples.empty()) throw std::invalid_argument("bootstrap of an empty sample set");
  const auto mean_of = [](std::span<const double> xs) {
    double sum = 0;
    for (double x : xs) sum += x;
    return sum / static_cast<double>(xs.size());
  };
  std::mt19937_64 engine(config.seed);
  std::vector<double> resample;
  std::vector<double> statistics(config.resamples);
  for (double& statistic : statistics) {
    resample_into(engine, samples, resample);
    statistic = mean_of(resample);
  }
  return make_ci("mean", config, mean_of(samples), statistics);
}

BootstrapCi bootstrap_median_ratio_ci(std::span<const double> numerator, std::span<const double> denominator,
                                      Pairing pairing, const BootstrapConfig& config) {
  check_config(config);
  if (numerator.empty() || denominator.empty()) throw std::invalid_argument("bootstrap of an empty sample set");
  if (pairing == Pairing::paired && numerator.size() != denominator.size()) {
    throw std::invalid_argument("paired bootstrap needs sample sets of equal size (one sample per round)");
  }
  std::vector<double> num(numerator.begin(), numerator.end());
  std::vector<double> den(denominator.begin(), denominator.end());
  const double estimate = median_inplace(num) / median_inplace(den);

  std::mt19937_64 engine(config.seed);
  std::vector<double> statistics(config.resamples);
  for (double& statistic : statistics) {
    if (pairing == Pairing::paired) {
      for (std::size_t i = 0; i < num.size(); ++i) {
        const auto round = uniform_index(engine, numerator.size());
        num[i] = numerator[round];
        den[i] = denominator[round];
      }
    } else {
      resample_into(engine, numerator, num);
      resample_into(engine, denominator, den);
    }
    statistic = median_inplace(num) / median_inplace(den);
  }
  BootstrapCi ci = make_ci("median_ratio", config, estimate, statistics);
  ci.pairing = pairing;
  return ci;
}

}  // namespace corey::stats
