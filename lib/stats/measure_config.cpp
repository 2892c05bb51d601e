#include "stats/measure_config.hpp"

#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace corey::stats {

std::string_view to_string(StopCriterion criterion) {
  switch (criterion) {
    case StopCriterion::ci:
      return "ci";
    case StopCriterion::ci_ratio:
      return "ci_ratio";
    case StopCriterion::rel_stdev:
      return "rel_stdev";
    case StopCriterion::sample_count:
      return "sample_count";
  }
  return "ci";
}

namespace {

class Reader {
 public:
  Reader(const MeasureConfig::Locator& where) : where_(where) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    std::optional<SourcePos> pos;
    if (where_) pos = where_(pointer);
    throw Error(ErrorKind::spec, message, pos);
  }

  static std::string dotted(const std::string& pointer) {
    std::string out = pointer.substr(1);
    for (char& c : out) {
      if (c == '/') c = '.';
    }
    return out;
  }

  // The map at `pointer` (absent = empty), with every key checked against `allowed`.
  const Json* section(const Json& parent, const std::string& key, const std::string& pointer,
                      std::initializer_list<std::string_view> allowed) const {
    if (!parent.contains(key)) return nullptr;
    const Json& value = parent.at(key);
    if (!value.is_object()) fail(pointer, dotted(pointer) + " must be a map");
    for (const auto& item : value.items()) {
      bool known = false;
      for (std::string_view name : allowed) known = known || item.key() == name;
      if (!known) {
        std::string names;
        for (std::string_view name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
        fail(pointer + "/" + item.key(),
             "unknown key " + dotted(pointer) + "." + item.key() + " (expected one of: " + names + ")");
      }
    }
    return &value;
  }

  // A finite number accepted by `ok`, described by `range` in the message.
  void number(const Json* map, const std::string& key, const std::string& pointer, double& out, bool (*ok)(double),
              const char* range) const {
    if (map == nullptr || !map->contains(key)) return;
    const Json& value = map->at(key);
    const std::string p = pointer + "/" + key;
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      fail(p, dotted(p) + " must be a number " + range + ", got " + value.dump());
    }
    const double x = value.get<double>();
    if (!ok(x)) fail(p, dotted(p) + " must be a number " + range + ", got " + value.dump());
    out = x;
  }

  void count(const Json* map, const std::string& key, const std::string& pointer, std::size_t& out,
             std::size_t min) const {
    if (map == nullptr || !map->contains(key)) return;
    const Json& value = map->at(key);
    const std::string p = pointer + "/" + key;
    const std::string expected = dotted(p) + " must be an integer >= " + std::to_string(min);
    if (value.is_number_integer()) {
      // Non-negative integers may arrive signed or unsigned depending on who built the JSON.
      if (value.is_number_unsigned() ? value.get<std::uint64_t>() < min
                                     : value.get<std::int64_t>() < static_cast<std::int64_t>(min)) {
        fail(p, expected + ", got " + value.dump());
      }
      out = value.get<std::size_t>();
      return;
    }
    if (value.is_number_float()) {
      const double x = value.get<double>();
      // YAML may give 20.0 for 20; accept exact integers only.
      if (std::isfinite(x) && x >= static_cast<double>(min) && x <= 9007199254740992.0 && std::floor(x) == x) {
        out = static_cast<std::size_t>(x);
        return;
      }
    }
    fail(p, expected + ", got " + value.dump());
  }

 private:
  const MeasureConfig::Locator& where_;
};

bool non_negative(double x) { return x >= 0; }
bool positive(double x) { return x > 0; }
bool open_unit(double x) { return x > 0 && x < 1; }

}  // namespace

MeasureConfig MeasureConfig::from_json(const Json& measure, const Locator& where) {
  Reader r(where);
  MeasureConfig c;
  if (measure.is_null()) return c;
  if (!measure.is_object()) r.fail("/measure", "measure must be a map");

  const Json* warmup = r.section(measure, "warmup", "/measure/warmup", {"runs", "min_time_s"});
  r.count(warmup, "runs", "/measure/warmup", c.warmup_runs, 1);
  r.number(warmup, "min_time_s", "/measure/warmup", c.warmup_min_time_s, non_negative, ">= 0");

  const Json* samples = r.section(measure, "samples", "/measure/samples", {"min", "max"});
  r.count(samples, "min", "/measure/samples", c.samples_min, 1);
  r.count(samples, "max", "/measure/samples", c.samples_max, 1);
  if (c.samples_max < c.samples_min) {
    const bool max_given = samples != nullptr && samples->contains("max");
    r.fail(max_given ? "/measure/samples/max" : "/measure/samples/min",
           "measure.samples.max (" + std::to_string(c.samples_max) + ") must be >= measure.samples.min (" +
               std::to_string(c.samples_min) + ")");
  }

  const Json* stop = r.section(measure, "stop", "/measure/stop",
                               {"criterion", "rel_halfwidth", "confidence", "min_time_s", "timeout_s", "max_noise"});
  if (stop != nullptr && stop->contains("criterion")) {
    const Json& value = stop->at("criterion");
    bool found = false;
    if (value.is_string()) {
      for (auto criterion :
           {StopCriterion::ci, StopCriterion::ci_ratio, StopCriterion::rel_stdev, StopCriterion::sample_count}) {
        if (value.get<std::string>() == to_string(criterion)) {
          c.criterion = criterion;
          found = true;
        }
      }
    }
    if (!found) {
      r.fail("/measure/stop/criterion",
             "measure.stop.criterion must be one of ci, ci_ratio, rel_stdev, "
             "sample_count, got " +
                 value.dump());
    }
  }
  r.number(stop, "rel_halfwidth", "/measure/stop", c.rel_halfwidth, positive, "> 0");
  r.number(stop, "confidence", "/measure/stop", c.confidence, open_unit, "in (0, 1)");
  r.number(stop, "min_time_s", "/measure/stop", c.min_time_s, non_negative, ">= 0");
  r.number(stop, "timeout_s", "/measure/stop", c.timeout_s, positive, "> 0");
  r.number(stop, "max_noise", "/measure/stop", c.max_noise, positive, "> 0");
  return c;
}

}  // namespace corey::stats
