#include "costmodel/fusion_study.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "core/numpy_random.hpp"
#include "costmodel/activations.hpp"
#include "costmodel/hadamard.hpp"
#include "costmodel/histogram_entropy.hpp"
#include "costmodel/python_numeric.hpp"
#include "costmodel/sinkhorn.hpp"
#include "costmodel/tile_trace.hpp"

namespace corey::costmodel {
namespace {

const std::vector<std::string> methods = {"no_fusion", "static_fusion", "entropy_guided", "arithmetic_only",
                                          "arithmetic_only_matched"};

struct OperatorTemplate {
  const char* name;
  double arithmetic_base;
  double memory_base;
  int register_cost;
  int shared_memory_cost;
  double occupancy;
};

constexpr std::array<OperatorTemplate, 7> operator_templates = {{
    {"input_norm", 1.6, 18.0, 20, 8, 0.94},
    {"gate_projection", 2.7, 22.0, 36, 12, 0.91},
    {"selective_scan", 4.8, 31.0, 72, 28, 0.79},
    {"state_mix", 3.9, 24.0, 54, 22, 0.83},
    {"output_projection", 3.4, 19.0, 48, 18, 0.87},
    {"activation", 1.9, 14.0, 24, 8, 0.96},
    {"residual_merge", 1.5, 12.0, 18, 6, 0.97},
}};

// The grid of PAPER.md §3.9, in the authors' order.
constexpr std::array<std::array<double, 3>, 9> coarse_grid = {{{0.00, 0.00, 0.20},
                                                                {0.00, 0.35, 0.20},
                                                                {0.00, 0.70, 0.20},
                                                                {0.45, 0.00, 0.20},
                                                                {0.45, 0.35, 0.20},
                                                                {0.45, 0.70, 0.20},
                                                                {0.90, 0.00, 0.20},
                                                                {0.90, 0.35, 0.20},
                                                                {0.90, 0.70, 0.20}}};

// A Python number that remembers whether it is an int (statistics.mean of ints stays an int when exact).
struct PyValue {
  double value = 0.0;
  bool is_int = false;
};

Json cell(const PyValue& v) {
  if (v.is_int) return Json(static_cast<std::int64_t>(v.value));
  return Json(v.value);
}

// round(statistics.mean(values), ndigits) with Python's int/float typing.
PyValue mean_round(const std::vector<PyValue>& values, int ndigits) {
  ExactSum sum;
  bool all_int = true;
  for (const auto& v : values) {
    sum.add(v.value);
    all_int = all_int && v.is_int;
  }
  const double mean = sum.mean(values.size());
  if (all_int && mean == std::floor(mean)) return {mean, true};
  return {python_round(mean, ndigits), false};
}

double mean_round(const std::vector<double>& values, int ndigits) {
  return python_round(python_mean(values), ndigits);
}

// numpy.array_split(range(n), parts): the first n % parts parts are one longer.
std::vector<std::pair<std::size_t, std::size_t>> array_split(std::size_t n, std::size_t parts) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  const std::size_t base = n / parts;
  const std::size_t extra = n % parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < parts; ++i) {
    const std::size_t size = base + (i < extra ? 1 : 0);
    out.emplace_back(start, size);
    start += size;
  }
  return out;
}

// Normalized entropy from histogram counts: clip(H / ln max(bins, 2), 0, 1); 0 when there was no histogram
// (an empty selection or min ≈ max).
double normalized_from(const HistogramJob* job) {
  if (job == nullptr) return 0.0;
  const double normalizer = std::log(static_cast<double>(std::max(job->bins, 2)));
  return std::clamp(entropy_of_counts(job->counts) / normalizer, 0.0, 1.0);
}

// The histograms one matrix feeds (PAPER.md §3.3): its whole-matrix entropy (`bins`), the chain's seven
// channel slices (64 bins: the authors call normalized_entropy with its default there), and the Sinkhorn
// fit's shared-range histogram. Indices into `jobs`, or -1 where no histogram exists.
struct MatrixHistograms {
  std::vector<HistogramJob> jobs;
  int whole = -1;
  std::array<int, 7> slices{-1, -1, -1, -1, -1, -1, -1};
  int sinkhorn = -1;
  const HistogramJob* get(int index) const { return index < 0 ? nullptr : &jobs[static_cast<std::size_t>(index)]; }
};

int add_job(std::vector<HistogramJob>& jobs, std::size_t first, std::size_t count, int bins,
            const std::optional<MinMax>& range) {
  if (count == 0 || !range) return -1;
  jobs.push_back({first, count, bins, range->min, range->max, {}});
  return static_cast<int>(jobs.size()) - 1;
}

MatrixHistograms histograms_of(const Matrix& m, const ColumnExtents& extents, std::size_t hidden_dim, int bins,
                               const std::optional<MinMax>& sinkhorn_shared) {
  MatrixHistograms h;
  h.whole = add_job(h.jobs, 0, m.cols, bins, margin_range(extents.over(0, m.cols)));
  const auto splits = array_split(hidden_dim, operator_templates.size());
  for (std::size_t k = 0; k < splits.size(); ++k) {
    const auto [first, count] = splits[k];
    h.slices[k] = add_job(h.jobs, first, count, 64, count ? margin_range(extents.over(first, count)) : std::nullopt);
  }
  h.sinkhorn = add_job(h.jobs, 0, m.cols, bins, sinkhorn_shared);
  run_histogram_jobs(m.view(), h.jobs);
  return h;
}

Chain build_chain(const MatrixHistograms& x, const MatrixHistograms& x_rot, long sequence_length) {
  const double seq_scale = 1.0 + std::log2(static_cast<double>(sequence_length)) / 6.0;
  Chain chain;
  for (std::size_t k = 0; k < operator_templates.size(); ++k) {
    const auto& t = operator_templates[k];
    const double local = 0.55 * normalized_from(x.get(x.slices[k])) + 0.45 * normalized_from(x_rot.get(x_rot.slices[k]));
    chain.push_back(OperatorSpec{t.name, std::clamp(local, 0.0, 1.0), t.arithmetic_base * seq_scale,
                                 t.memory_base * seq_scale, t.register_cost, t.shared_memory_cost, t.occupancy});
  }
  return chain;
}

ResourceModel resource_model(long sequence_length) {
  const int penalty = static_cast<int>(std::log2(static_cast<double>(sequence_length)) * 2);
  return ResourceModel{static_cast<double>(180 - penalty), static_cast<double>(96 - penalty), 0.72};
}

// numpy.linspace(start, stop, num) with the endpoint.
std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> out(static_cast<std::size_t>(num));
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) out[static_cast<std::size_t>(i)] = i * step + start;
  out.back() = stop;
  return out;
}

bool python_isclose(double a, double b, double rel_tol, double abs_tol) {
  if (a == b) return true;
  const double diff = std::fabs(b - a);
  return diff <= std::fabs(rel_tol * b) || diff <= std::fabs(rel_tol * a) || diff <= abs_tol;
}

// α = 0 with the τ whose average depth best matches the entropy-guided schedule (PAPER.md §3.5, item 5).
std::pair<double, Schedule> calibrate_arithmetic_only(const Chain& chain, const ResourceModel& resources,
                                                      double target_depth, double base_tau,
                                                      FusionWeights weights) {
  weights.alpha = 0.0;
  double best_tau = base_tau;
  Schedule best = entropy_guided_schedule(chain, base_tau, resources, weights);
  double best_gap = std::fabs(average_depth(best) - target_depth);
  for (double raw : linspace(-0.2, std::max(base_tau, 0.8), 21)) {
    const double tau = numpy_round(raw, 2);
    Schedule groups = entropy_guided_schedule(chain, tau, resources, weights);
    const double gap = std::fabs(average_depth(groups) - target_depth);
    if (gap < best_gap) {
      best_tau = tau;
      best = std::move(groups);
      best_gap = gap;
      continue;
    }
    if (python_isclose(gap, best_gap, 1e-9, 1e-9) && std::fabs(tau - base_tau) < std::fabs(best_tau - base_tau)) {
      best_tau = tau;
      best = std::move(groups);
    }
  }
  return {best_tau, std::move(best)};
}

struct HadamardRow {
  long sequence_length;
  int repeat;
  ActivationSignals signals;
  SinkhornFit sinkhorn;
};

struct MatchedTauRow {
  std::string bucket;
  long sequence_length;
  int repeat;
  double base_tau;
  double matched_tau;
  double target_depth;
  double matched_depth;
};

struct GridRow {
  std::array<double, 3> weights;
  std::string bucket;
  long sequence_length;
  int repeat;
  ScheduleMetrics metrics;
};

PyValue depth_value(const ScheduleMetrics& m) { return {m.average_fusion_depth, m.average_fusion_depth_is_int}; }

Json metrics_cells_depth(const ScheduleMetrics& m) { return cell(depth_value(m)); }

class StudyRun {
 public:
  explicit StudyRun(const FusionStudyConfig& config) : config_(config), rng_(config.seed) {}

  std::vector<CsvTable> run() {
    for (const auto& bucket : config_.buckets)
      for (long length : bucket.sequence_lengths) run_length(bucket.name, length);
    std::vector<CsvTable> tables;
    tables.push_back(detailed_table());
    tables.push_back(bucket_summary());
    tables.push_back(occupancy_summary());
    tables.push_back(alpha_zero_summary());
    tables.push_back(matched_summary());
    if (config_.traces) {
      tables.push_back(std::move(schedule_trace_));
      tables.push_back(std::move(tile_trace_));
    }
    tables.push_back(tile_summary());
    tables.push_back(matched_tau_table());
    tables.push_back(hadamard_table());
    tables.push_back(sinkhorn_summary());
    tables.push_back(grid_table());
    tables.push_back(grid_summary());
    return tables;
  }

 private:
  const FusionStudyConfig& config_;
  core::NumpyGenerator rng_;
  std::vector<ScheduleMetrics> results_;
  std::vector<std::string> result_buckets_;
  std::vector<HadamardRow> hadamard_rows_;
  std::vector<MatchedTauRow> matched_rows_;
  std::vector<GridRow> grid_rows_;
  CsvTable schedule_trace_{"schedule_trace",
                           {"bucket", "sequence_length", "repeat", "method", "tau", "target_depth", "group_index",
                            "group_depth", "group_occupancy", "group_register_cost", "group_shared_memory_cost",
                            "group_entropy", "group_arithmetic_intensity", "group_memory_traffic", "group_score",
                            "feasible"},
                           {}};
  CsvTable tile_trace_{"tile_trace",
                       {"bucket", "sequence_length", "repeat", "method", "tau", "group_index", "tile_index",
                        "tile_size", "estimated_tile_count", "group_depth", "group_occupancy", "group_entropy",
                        "group_register_cost", "group_shared_memory_cost", "tile_entropy", "tile_memory_bytes",
                        "tile_compute_cost", "tile_latency_ms", "cumulative_group_latency_ms"},
                       {}};
  // Per (bucket, method): the tile summary inputs, kept even when the trace tables are not.
  struct TileStats {
    std::vector<double> sizes, entropies, latencies, memories, group_runtimes;
  };
  std::map<std::pair<std::string, std::string>, TileStats> tile_stats_;

  void run_length(const std::string& bucket, long length) {
    const std::size_t n = sample_count(length);
    const auto h = static_cast<std::size_t>(config_.hidden_dim);
    const auto p = static_cast<std::size_t>(config_.projection_dim);
    const std::size_t width = next_power_of_two(h);
    EmaEntropy ema(config_.ema_decay);
    Matrix x(n, h);
    Matrix w(p, h);
    Matrix x_rot;
    Matrix w_rot;
    for (int repeat = 0; repeat < config_.repeats; ++repeat) {
      draw_activations(rng_, length, x, w);

      pad_columns_into(x, width, x_rot);
      pad_columns_into(w, width, w_rot);
      fwht_rows(x_rot);
      fwht_rows(w_rot);

      const ColumnExtents x_extents = column_extents(x.view());
      const ColumnExtents rot_extents = column_extents(x_rot.view());
      const MinMax x_extent = x_extents.over(0, x.cols);
      const MinMax rot_extent = rot_extents.over(0, x_rot.cols);
      const auto shared = sinkhorn_range(x_extent, rot_extent);
      const MatrixHistograms x_hist = histograms_of(x, x_extents, h, config_.bins, shared);
      const MatrixHistograms rot_hist = histograms_of(x_rot, rot_extents, h, config_.bins, shared);

      ActivationSignals signals;
      const double norm_before = normalized_from(x_hist.get(x_hist.whole));
      const double norm_after = normalized_from(rot_hist.get(rot_hist.whole));
      signals.entropy_before = ema.update(norm_before);
      signals.entropy_after = ema.update(norm_after);
      signals.entropy_gain = norm_after - norm_before;
      signals.outlier_before = outlier_ratio(x.view());
      signals.outlier_after = outlier_ratio(x_rot.view());
      signals.max_projection_error = max_projection_error(x, w, x_rot, w_rot);
      const SinkhornFit fit =
          shared ? fit_sinkhorn_counts(x_hist.get(x_hist.sinkhorn)->counts, rot_hist.get(rot_hist.sinkhorn)->counts, *shared)
                 : fit_sinkhorn_proxy(x.view(), x_rot.view(), config_.bins, x_extent, rot_extent);
      hadamard_rows_.push_back({length, repeat, signals, fit});

      const Chain chain = build_chain(x_hist, rot_hist, length);
      const ResourceModel resources = resource_model(length);
      run_grid(chain, resources, signals, bucket, length, repeat);
      run_schedules(chain, resources, signals, bucket, length, repeat);
    }
  }

  void run_grid(const Chain& chain, const ResourceModel& resources, const ActivationSignals& signals,
                const std::string& bucket, long length, int repeat) {
    const PrecisionModel& fp16 = config_.precisions.front();
    for (const auto& abg : coarse_grid) {
      const FusionWeights weights{abg[0], abg[1], abg[2]};
      const Schedule groups = entropy_guided_schedule(chain, config_.tau, resources, weights);
      grid_rows_.push_back({abg, bucket, length, repeat,
                            estimate_metrics("entropy_guided", length, fp16, groups, signals, config_.bonuses)});
    }
  }

  void run_schedules(const Chain& chain, const ResourceModel& resources, const ActivationSignals& signals,
                     const std::string& bucket, long length, int repeat) {
    const double tau = config_.tau;
    Schedule guided = entropy_guided_schedule(chain, tau, resources, config_.weights);
    const double target_depth = average_depth(guided);
    auto [matched_tau, matched] = calibrate_arithmetic_only(chain, resources, target_depth, tau, config_.weights);
    FusionWeights alpha_zero = config_.weights;
    alpha_zero.alpha = 0.0;
    std::vector<Schedule> schedules;
    schedules.push_back(no_fusion_schedule(chain));
    schedules.push_back(static_fusion_schedule(chain, resources, 3, config_.weights));
    schedules.push_back(std::move(guided));
    schedules.push_back(entropy_guided_schedule(chain, tau, resources, alpha_zero));
    schedules.push_back(std::move(matched));
    const std::array<double, 5> taus = {0.0, 0.0, tau, tau, matched_tau};

    matched_rows_.push_back({bucket, length, repeat, python_round(tau, 4), python_round(matched_tau, 4),
                             python_round(target_depth, 4), python_round(average_depth(schedules[4]), 4)});

    for (std::size_t mi = 0; mi < methods.size(); ++mi) {
      const std::string& method = methods[mi];
      const Schedule& groups = schedules[mi];
      if (config_.traces) {
        for (std::size_t gi = 0; gi < groups.size(); ++gi) {
          const FusionGroup& g = groups[gi];
          schedule_trace_.rows.push_back(
              {bucket, length, repeat, method, python_round(taus[mi], 4), python_round(target_depth, 4),
               static_cast<int>(gi), g.depth(), python_round(g.occupancy(), 4), g.register_cost(),
               g.shared_memory_cost(), python_round(g.entropy(), 4), python_round(g.arithmetic_intensity(), 4),
               python_round(g.memory_traffic(), 4), python_round(g.score, 4), g.feasible});
        }
      }
      auto& stats = tile_stats_[{bucket, method}];
      const auto tiles = tile_trace(length, method, groups, config_.bonuses);
      for (std::size_t ti = 0; ti < tiles.size(); ++ti) {
        const auto& t = tiles[ti];
        stats.sizes.push_back(t.tile_size);
        stats.entropies.push_back(t.tile_entropy);
        stats.latencies.push_back(t.tile_latency_ms);
        stats.memories.push_back(t.tile_memory_bytes);
        // Cumulative latency never decreases within a group, so its maximum is the group's last tile.
        if (ti + 1 == tiles.size() || tiles[ti + 1].group_index != t.group_index)
          stats.group_runtimes.push_back(t.cumulative_group_latency_ms);
        if (config_.traces)
          tile_trace_.rows.push_back({bucket, length, repeat, method, python_round(taus[mi], 4), t.group_index,
                                      t.tile_index, t.tile_size, t.estimated_tile_count, t.group_depth,
                                      t.group_occupancy, t.group_entropy, t.group_register_cost,
                                      t.group_shared_memory_cost, t.tile_entropy, t.tile_memory_bytes,
                                      t.tile_compute_cost, t.tile_latency_ms, t.cumulative_group_latency_ms});
      }
    }

    for (const auto& precision : config_.precisions)
      for (std::size_t mi = 0; mi < methods.size(); ++mi) {
        results_.push_back(estimate_metrics(methods[mi], length, precision, schedules[mi], signals, config_.bonuses));
        result_buckets_.push_back(bucket);
      }
  }

  // Rows of results_ for one (bucket, precision, method).
  std::vector<const ScheduleMetrics*> select(const std::string& bucket, const std::string& precision,
                                             const std::string& method) const {
    std::vector<const ScheduleMetrics*> out;
    for (std::size_t i = 0; i < results_.size(); ++i)
      if (result_buckets_[i] == bucket && results_[i].precision == precision && results_[i].method == method)
        out.push_back(&results_[i]);
    return out;
  }

  template <typename F>
  static double mean_of(const std::vector<const ScheduleMetrics*>& rows, F field, int ndigits) {
    std::vector<double> values;
    for (const auto* r : rows) values.push_back(field(*r));
    return mean_round(values, ndigits);
  }

  template <typename F>
  static double raw_mean(const std::vector<const ScheduleMetrics*>& rows, F field) {
    std::vector<double> values;
    for (const auto* r : rows) values.push_back(field(*r));
    return python_mean(values);
  }

  static Json depth_mean(const std::vector<const ScheduleMetrics*>& rows) {
    std::vector<PyValue> values;
    for (const auto* r : rows) values.push_back(depth_value(*r));
    return cell(mean_round(values, 4));
  }

  CsvTable detailed_table() const {
    CsvTable t{"detailed_metrics",
               {"method", "sequence_length", "precision", "latency_ms", "throughput_tokens_per_s",
                "dram_bytes_per_token", "quality_drop", "average_fusion_depth", "p95_group_depth",
                "average_group_occupancy", "min_group_occupancy", "average_register_cost",
                "average_shared_memory_cost", "entropy_before", "entropy_after", "entropy_gain", "outlier_before",
                "outlier_after", "max_projection_error"},
               {}};
    for (const auto& m : results_)
      t.rows.push_back({m.method, m.sequence_length, m.precision, m.latency_ms, m.throughput_tokens_per_s,
                        m.dram_bytes_per_token, m.quality_drop, metrics_cells_depth(m), m.p95_group_depth,
                        m.average_group_occupancy, m.min_group_occupancy, m.average_register_cost,
                        m.average_shared_memory_cost, m.entropy_before, m.entropy_after, m.entropy_gain,
                        m.outlier_before, m.outlier_after, m.max_projection_error});
    return t;
  }

  CsvTable bucket_summary() const {
    CsvTable t{"bucket_summary",
               {"bucket", "precision", "method", "latency_ms", "throughput_tokens_per_s", "dram_bytes_per_token",
                "quality_drop", "average_fusion_depth", "average_group_occupancy", "min_group_occupancy",
                "average_register_cost", "average_shared_memory_cost", "entropy_gain"},
               {}};
    for (const auto& bucket : config_.buckets)
      for (const auto& precision : config_.precisions)
        for (const std::string method : {"no_fusion", "static_fusion", "entropy_guided"}) {
          const auto rows = select(bucket.name, precision.name, method);
          if (rows.empty()) continue;
          t.rows.push_back(
              {bucket.name, precision.name, method,
               mean_of(rows, [](const auto& m) { return m.latency_ms; }, 4),
               mean_of(rows, [](const auto& m) { return m.throughput_tokens_per_s; }, 4),
               mean_of(rows, [](const auto& m) { return m.dram_bytes_per_token; }, 4),
               mean_of(rows, [](const auto& m) { return m.quality_drop; }, 4), depth_mean(rows),
               mean_of(rows, [](const auto& m) { return m.average_group_occupancy; }, 4),
               mean_of(rows, [](const auto& m) { return m.min_group_occupancy; }, 4),
               mean_of(rows, [](const auto& m) { return m.average_register_cost; }, 4),
               mean_of(rows, [](const auto& m) { return m.average_shared_memory_cost; }, 4),
               mean_of(rows, [](const auto& m) { return m.entropy_gain; }, 4)});
        }
    return t;
  }

  CsvTable occupancy_summary() const {
    CsvTable t{"occupancy_summary",
               {"bucket", "method", "average_group_occupancy", "min_group_occupancy", "average_fusion_depth",
                "average_register_cost", "average_shared_memory_cost"},
               {}};
    const std::string& first_precision = config_.precisions.front().name;
    for (const auto& bucket : config_.buckets)
      for (const auto& method : methods) {
        const auto rows = select(bucket.name, first_precision, method);
        if (rows.empty()) continue;
        t.rows.push_back({bucket.name, method, mean_of(rows, [](const auto& m) { return m.average_group_occupancy; }, 4),
                          mean_of(rows, [](const auto& m) { return m.min_group_occupancy; }, 4), depth_mean(rows),
                          mean_of(rows, [](const auto& m) { return m.average_register_cost; }, 4),
                          mean_of(rows, [](const auto& m) { return m.average_shared_memory_cost; }, 4)});
      }
    return t;
  }

  CsvTable alpha_zero_summary() const {
    CsvTable t{"alpha_zero_ablation",
               {"bucket", "precision", "entropy_guided_latency_ms", "arithmetic_only_latency_ms", "latency_delta_ms",
                "entropy_guided_throughput_tokens_per_s", "arithmetic_only_throughput_tokens_per_s",
                "entropy_guided_quality_drop", "arithmetic_only_quality_drop", "entropy_guided_average_depth",
                "arithmetic_only_average_depth", "entropy_guided_average_group_occupancy",
                "arithmetic_only_average_group_occupancy"},
               {}};
    for (const auto& bucket : config_.buckets)
      for (const auto& precision : config_.precisions) {
        const auto eg = select(bucket.name, precision.name, "entropy_guided");
        const auto ao = select(bucket.name, precision.name, "arithmetic_only");
        if (eg.empty() || ao.empty()) continue;
        const double eg_latency = raw_mean(eg, [](const auto& m) { return m.latency_ms; });
        const double ao_latency = raw_mean(ao, [](const auto& m) { return m.latency_ms; });
        t.rows.push_back({bucket.name, precision.name, python_round(eg_latency, 4), python_round(ao_latency, 4),
                          python_round(ao_latency - eg_latency, 4),
                          mean_of(eg, [](const auto& m) { return m.throughput_tokens_per_s; }, 4),
                          mean_of(ao, [](const auto& m) { return m.throughput_tokens_per_s; }, 4),
                          mean_of(eg, [](const auto& m) { return m.quality_drop; }, 4),
                          mean_of(ao, [](const auto& m) { return m.quality_drop; }, 4), depth_mean(eg), depth_mean(ao),
                          mean_of(eg, [](const auto& m) { return m.average_group_occupancy; }, 4),
                          mean_of(ao, [](const auto& m) { return m.average_group_occupancy; }, 4)});
      }
    return t;
  }

  CsvTable matched_summary() const {
    CsvTable t{"alpha_zero_matched_ablation",
               {"bucket", "precision", "matched_tau_mean", "entropy_guided_latency_ms",
                "arithmetic_only_matched_latency_ms", "latency_delta_ms", "entropy_guided_quality_drop",
                "arithmetic_only_matched_quality_drop", "entropy_guided_average_depth",
                "arithmetic_only_matched_average_depth", "entropy_guided_average_group_occupancy",
                "arithmetic_only_matched_average_group_occupancy"},
               {}};
    for (const auto& bucket : config_.buckets)
      for (const auto& precision : config_.precisions) {
        const auto eg = select(bucket.name, precision.name, "entropy_guided");
        const auto am = select(bucket.name, precision.name, "arithmetic_only_matched");
        if (eg.empty() || am.empty()) continue;
        std::vector<double> taus;
        for (const auto& row : matched_rows_)
          if (row.bucket == bucket.name) taus.push_back(row.matched_tau);
        const double eg_latency = raw_mean(eg, [](const auto& m) { return m.latency_ms; });
        const double am_latency = raw_mean(am, [](const auto& m) { return m.latency_ms; });
        t.rows.push_back({bucket.name, precision.name, taus.empty() ? Json("") : Json(mean_round(taus, 4)),
                          python_round(eg_latency, 4), python_round(am_latency, 4),
                          python_round(am_latency - eg_latency, 4),
                          mean_of(eg, [](const auto& m) { return m.quality_drop; }, 4),
                          mean_of(am, [](const auto& m) { return m.quality_drop; }, 4), depth_mean(eg), depth_mean(am),
                          mean_of(eg, [](const auto& m) { return m.average_group_occupancy; }, 4),
                          mean_of(am, [](const auto& m) { return m.average_group_occupancy; }, 4)});
      }
    return t;
  }

  CsvTable tile_summary() const {
    CsvTable t{"tile_trace_summary",
               {"bucket", "method", "mean_tile_size", "mean_tile_entropy", "mean_tile_latency_ms",
                "p95_tile_latency_ms", "mean_tile_memory_bytes", "mean_group_runtime_ms"},
               {}};
    for (const auto& bucket : config_.buckets)
      for (const auto& method : methods) {
        const auto it = tile_stats_.find({bucket.name, method});
        if (it == tile_stats_.end() || it->second.sizes.empty()) continue;
        const TileStats& s = it->second;
        std::vector<double> sorted = s.latencies;
        auto index = static_cast<long>(std::ceil(0.95 * static_cast<double>(sorted.size()))) - 1;
        index = std::clamp(index, 0L, static_cast<long>(sorted.size()) - 1);
        std::nth_element(sorted.begin(), sorted.begin() + index, sorted.end());
        t.rows.push_back({bucket.name, method, mean_round(s.sizes, 4), mean_round(s.entropies, 4),
                          mean_round(s.latencies, 6), python_round(sorted[static_cast<std::size_t>(index)], 6),
                          mean_round(s.memories, 4), mean_round(s.group_runtimes, 6)});
      }
    return t;
  }

  CsvTable matched_tau_table() const {
    CsvTable t{"alpha_zero_matched_tau",
               {"bucket", "sequence_length", "repeat", "base_tau", "matched_tau", "target_depth", "matched_depth"},
               {}};
    for (const auto& r : matched_rows_)
      t.rows.push_back({r.bucket, r.sequence_length, r.repeat, r.base_tau, r.matched_tau, r.target_depth,
                        r.matched_depth});
    return t;
  }

  CsvTable hadamard_table() const {
    CsvTable t{"hadamard_validation",
               {"sequence_length", "repeat", "entropy_before", "entropy_after", "entropy_gain", "outlier_before",
                "outlier_after", "max_projection_error", "sinkhorn_temperature", "sinkhorn_residual_l1",
                "sinkhorn_residual_l2", "sinkhorn_row_error", "sinkhorn_col_error"},
               {}};
    for (const auto& r : hadamard_rows_)
      t.rows.push_back({r.sequence_length, r.repeat, python_round(r.signals.entropy_before, 6),
                        python_round(r.signals.entropy_after, 6), python_round(r.signals.entropy_gain, 6),
                        python_round(r.signals.outlier_before, 8), python_round(r.signals.outlier_after, 8),
                        python_round(r.signals.max_projection_error, 12), python_round(r.sinkhorn.temperature, 10),
                        python_round(r.sinkhorn.residual_l1, 6), python_round(r.sinkhorn.residual_l2, 6),
                        python_round(r.sinkhorn.row_error, 10), python_round(r.sinkhorn.col_error, 10)});
    return t;
  }

  CsvTable sinkhorn_summary() const {
    CsvTable t{"sinkhorn_validation_summary",
               {"bucket", "mean_residual_l1", "min_residual_l1", "max_residual_l1", "mean_residual_l2",
                "mean_temperature", "fraction_below_0p05", "fraction_below_0p10"},
               {}};
    for (const auto& bucket : config_.buckets) {
      std::vector<double> l1, l2, temperatures;
      for (const auto& r : hadamard_rows_)
        if (std::find(bucket.sequence_lengths.begin(), bucket.sequence_lengths.end(), r.sequence_length) !=
            bucket.sequence_lengths.end()) {
          l1.push_back(python_round(r.sinkhorn.residual_l1, 6));
          l2.push_back(python_round(r.sinkhorn.residual_l2, 6));
          temperatures.push_back(python_round(r.sinkhorn.temperature, 10));
        }
      if (l1.empty()) continue;
      const auto below = [&](double limit) {
        const auto count = std::count_if(l1.begin(), l1.end(), [&](double v) { return v <= limit; });
        return python_round(static_cast<double>(count) / static_cast<double>(l1.size()), 4);
      };
      t.rows.push_back({bucket.name, mean_round(l1, 6), python_round(*std::min_element(l1.begin(), l1.end()), 6),
                        python_round(*std::max_element(l1.begin(), l1.end()), 6), mean_round(l2, 6),
                        mean_round(temperatures, 8), below(0.05), below(0.10)});
    }
    return t;
  }

  CsvTable grid_table() const {
    CsvTable t{"grid_ablation",
               {"alpha", "beta", "gamma", "bucket", "sequence_length", "repeat", "latency_ms",
                "throughput_tokens_per_s", "average_fusion_depth", "average_group_occupancy"},
               {}};
    for (const auto& r : grid_rows_)
      t.rows.push_back({r.weights[0], r.weights[1], r.weights[2], r.bucket, r.sequence_length, r.repeat,
                        r.metrics.latency_ms, r.metrics.throughput_tokens_per_s, metrics_cells_depth(r.metrics),
                        r.metrics.average_group_occupancy});
    return t;
  }

  CsvTable grid_summary() const {
    CsvTable t{"grid_ablation_summary",
               {"alpha", "beta", "gamma", "bucket", "mean_latency_ms", "mean_throughput_tokens_per_s",
                "mean_fusion_depth", "mean_occupancy"},
               {}};
    std::map<std::tuple<double, double, double, std::string>, std::vector<const GridRow*>> groups;
    for (const auto& r : grid_rows_) groups[{r.weights[0], r.weights[1], r.weights[2], r.bucket}].push_back(&r);
    for (const auto& [key, rows] : groups) {
      std::vector<double> latency, throughput, depth, occupancy;
      for (const auto* r : rows) {
        latency.push_back(r->metrics.latency_ms);
        throughput.push_back(r->metrics.throughput_tokens_per_s);
        depth.push_back(r->metrics.average_fusion_depth);
        occupancy.push_back(r->metrics.average_group_occupancy);
      }
      t.rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key),
                        mean_round(latency, 4), mean_round(throughput, 4), mean_round(depth, 4),
                        mean_round(occupancy, 4)});
    }
    return t;
  }
};

}  // namespace

std::vector<CsvTable> run_fusion_study(const FusionStudyConfig& config) {
  if (config.precisions.empty()) throw std::invalid_argument("fusion study: no precisions");
  return StudyRun(config).run();
}

}  // namespace corey::costmodel
