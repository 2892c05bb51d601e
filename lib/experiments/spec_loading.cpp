#include "experiments/spec_loading.hpp"

#include <map>
#include <memory>

#include "experiments/tier.hpp"

namespace corey::experiments {

namespace {

const spec::ParamSchema* schema_of(std::string_view experiment) {
  static std::map<std::string, std::unique_ptr<Tier>, std::less<>> tiers;
  auto it = tiers.find(experiment);
  if (it == tiers.end()) it = tiers.emplace(std::string(experiment), make_tier(experiment)).first;
  return it->second ? &it->second->param_schema() : nullptr;
}

}  // namespace

spec::Spec load_spec_for(const std::string& path, const std::vector<std::string>& set_overrides,
                         std::string_view experiment_from_cli) {
  return spec::load_spec(path, set_overrides, experiment_from_cli, schema_of);
}

spec::Spec spec_from_resolved(const Json& resolved, const std::string& origin) {
  spec::Spec s;
  s.path = origin;
  s.name = resolved.value("name", std::string{});
  s.experiment = resolved.value("experiment", std::string{});
  s.params = resolved.value("params", Json::object());
  s.sweep = resolved.value("sweep", Json::object());
  s.measure = resolved.value("measure", Json::object());
  s.verify = resolved.value("verify", Json::object());
  s.stats = resolved.value("stats", Json::object());
  s.order = resolved.value("order", Json::object());
  s.output = resolved.value("output", Json::object());
  s.report = resolved.value("report", Json::array());
  s.devices = resolved.value("devices", Json::array());
  s.resolved = resolved;
  return s;
}

}  // namespace corey::experiments
