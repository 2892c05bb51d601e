#include "plan_printing.hpp"

#include <cstdio>

namespace corey::app {

void print_plan(const spec::Spec& spec, const spec::Plan& plan, int shard_count,
                experiments::ShardStrategy strategy, bool as_json, const experiments::Tier* tier) {
  std::vector<double> costs;
  for (const auto& p : plan.points) costs.push_back(tier ? tier->predicted_cost(p) : 1.0);
  Json shards = Json::array();
  for (int s = 0; s < shard_count; ++s) {
    Json ids = Json::array();
    for (auto index : experiments::assign_shard(plan.points.size(), s, shard_count, strategy, costs))
      ids.push_back(plan.points[index].id);
    shards.push_back(ids);
  }
  if (as_json) {
    Json j;
    j["name"] = spec.name;
    j["experiment"] = spec.experiment;
    j["spec_sha256"] = spec.hash();
    j["points"] = plan.points.size();
    Json points = Json::array();
    for (const auto& p : plan.points) points.push_back(Json{{"point_id", p.id}, {"index", p.index}, {"params", p.params}});
    j["planned"] = points;
    Json skipped = Json::array();
    for (const auto& s : plan.skipped) skipped.push_back(Json{{"point_id", s.id}, {"params", s.params}, {"reason", s.reason}});
    j["skipped"] = skipped;
    j["shards"] = Json{{"count", shard_count}, {"strategy", experiments::to_string(strategy)}, {"plan", shards}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s (%s), spec %s\n", spec.name.c_str(), spec.experiment.c_str(), spec.hash().substr(0, 12).c_str());
  std::printf("%zu points, %zu skipped\n", plan.points.size(), plan.skipped.size());
  for (const auto& p : plan.points) std::printf("  %4zu  %s  %s\n", p.index, p.id.c_str(), p.params.dump().c_str());
  if (!plan.skipped.empty()) {
    std::printf("skipped:\n");
    for (const auto& s : plan.skipped) std::printf("  %s  %s  (%s)\n", s.id.c_str(), s.params.dump().c_str(), s.reason.c_str());
  }
  if (shard_count > 1) {
    std::printf("shards (%s):\n", experiments::to_string(strategy).c_str());
    for (int s = 0; s < shard_count; ++s) std::printf("  %d: %s\n", s, shards[static_cast<std::size_t>(s)].dump().c_str());
  }
}

}  // namespace corey::app
