#include "stats/stop_rule.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "stats/median_ci.hpp"
#include "stats/quantile.hpp"

namespace corey::stats {

namespace {

// Shortest round-trip form, so the reason names the spec's value as the user wrote it (0.01, not 0.010000).
std::string shortest(double x) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, result.ptr);
}

}  // namespace

Json Stop::to_json() const {
  Json j = Json::object();
  j["criterion"] = to_string(criterion);
  j["converged"] = converged;
  j["why"] = why;
  return j;
}

StopRule::StopRule(const MeasureConfig& config, RatioHalfwidth ratio_rel_halfwidth)
    : config_(config), ratio_rel_halfwidth_(std::move(ratio_rel_halfwidth)) {
  if (config_.criterion == StopCriterion::ci_ratio && !ratio_rel_halfwidth_) {
    throw std::invalid_argument("stop criterion ci_ratio needs the ratio CI of the reference row");
  }
}

Stop StopRule::stop(bool converged, std::string why) const {
  return Stop{config_.criterion, converged, std::move(why)};
}

std::optional<Stop> StopRule::add(double sample_s, double elapsed_s) {
  samples_.push_back(sample_s);
  sum_s_ += sample_s;
  const std::size_t n = samples_.size();
  const double delta = sample_s - running_mean_;
  running_mean_ += delta / static_cast<double>(n);
  running_m2_ += delta * (sample_s - running_mean_);
  if (n >= 2 && running_mean_ != 0) {
    const double rel_stdev = std::sqrt(running_m2_ / static_cast<double>(n - 1)) / running_mean_;
    if (noise_.size() < noise_history) {
      noise_.push_back(rel_stdev);
    } else {
      noise_[noise_next_] = rel_stdev;
      noise_next_ = (noise_next_ + 1) % noise_history;
    }
  }

  if (config_.criterion == StopCriterion::sample_count) {
    if (n >= config_.samples_min) return stop(true, "sample_count");
  } else if (n >= config_.samples_min && sum_s_ >= config_.min_time_s &&
             (!last_check_n_ || n - *last_check_n_ >= check_every)) {
    last_check_n_ = n;
    std::string why;
    if (criterion_met(why)) return stop(true, why);
    if (noise_plateau()) return stop(false, "noise_plateau");
  }
  if (n >= config_.samples_max) return stop(false, "max_samples");
  if (elapsed_s >= config_.timeout_s) return stop(false, "timeout");
  return std::nullopt;
}

bool StopRule::criterion_met(std::string& why) {
  switch (config_.criterion) {
    case StopCriterion::ci: {
      why = "rel_halfwidth<=" + shortest(config_.rel_halfwidth);
      const auto ranks = median_ci_ranks(samples_.size(), config_.confidence);
      if (!ranks) return false;
      // Three selections instead of a sort: this runs every 16 samples on up to samples.max values.
      scratch_.assign(samples_.begin(), samples_.end());
      const auto order_statistic = [this](std::size_t rank) {
        const auto at = scratch_.begin() + static_cast<std::ptrdiff_t>(rank - 1);
        std::nth_element(scratch_.begin(), at, scratch_.end());
        return *at;
      };
      const double lo = order_statistic(ranks->lo_rank);
      const double hi = order_statistic(ranks->hi_rank);
      const double rel = (hi - lo) / (2.0 * median_inplace(scratch_));
      return std::isfinite(rel) && rel >= 0 && rel <= config_.rel_halfwidth;
    }
    case StopCriterion::ci_ratio: {
      const double rel = ratio_rel_halfwidth_(samples_);
      why = "ratio_rel_halfwidth<=" + shortest(config_.rel_halfwidth);
      return std::isfinite(rel) && rel >= 0 && rel <= config_.rel_halfwidth;
    }
    case StopCriterion::rel_stdev: {
      const std::size_t n = samples_.size();
      if (n < 2 || running_mean_ == 0) return false;
      const double rel = std::sqrt(running_m2_ / static_cast<double>(n - 1)) / running_mean_;
      why = "rel_stdev<=" + shortest(config_.max_noise);
      return rel <= config_.max_noise;
    }
    case StopCriterion::sample_count:
      break;
  }
  return false;
}

bool StopRule::noise_plateau() const {
  if (noise_.size() < noise_history_min) return false;
  double mean = 0;
  for (double x : noise_) mean += x;
  mean /= static_cast<double>(noise_.size());
  double squares = 0;
  for (double x : noise_) squares += (x - mean) * (x - mean);
  const double stdev = std::sqrt(squares / static_cast<double>(noise_.size() - 1));
  return mean > 0 && stdev / mean < noise_plateau_rel_stdev;
}

}  // namespace corey::stats
